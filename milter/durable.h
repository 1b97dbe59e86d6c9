/* durable.h - the milter's watcher thread (Redis data set and persistence). */
#ifndef MAILACD_DURABLE_H
#define MAILACD_DURABLE_H

/* durable_thread - pthread body: looks at Redis once a second, for ever */
void	*durable_thread(void *arg);

#endif
