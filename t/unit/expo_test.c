/* expo_test.c - router/expo.c: mailacd_metrics's answers into Prometheus
 * text.  The histogram's buckets become cumulative, milliseconds become
 * seconds, numbers past what a double holds stay exact, label values are
 * escaped, an organisation not read is left out, and an answer that is
 * not the library's is refused with a reason.  (promtool checks the
 * format of a live scrape in t/5080-metrics.t.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "tap.h"

static const char acme[] =
    "{\"now\":1800000100000,\"dead\":3,"
    "\"counters\":{\"handed_off\":\"12345678901234567\",\"loops\":\"2\"},"
    "\"queues\":["
    "{\"queue\":\"support\",\"waiting\":5,\"oldest\":1800000040000,"
    "\"oldest_exact\":true,\"assigned\":2,\"service_level\":60,"
    "\"answered\":4,\"within\":3,\"totals\":{\"offered\":\"9\","
    "\"assigned\":\"7\",\"closed\":\"1\",\"delivery_failed\":\"2\","
    "\"answered\":\"6\",\"wait_sum_ms\":\"12345\",\"wait_le_10\":\"2\","
    "\"wait_le_30\":\"1\",\"wait_le_3600\":\"2\",\"wait_le_inf\":\"1\"}},"
    "{\"queue\":\"billing\",\"waiting\":0,\"assigned\":0,"
    "\"service_level\":0,\"answered\":7,\"within\":0,\"totals\":{}}],"
    "\"agents\":[{\"agent\":\"al\\\"i\\\\ce\",\"presence\":\"away\","
    "\"load\":1,\"capacity\":3}],"
    "\"domains\":[{\"domain\":\"example.com\",\"status\":\"failed\"}]}";

/* has - TEXT holds the line LINE */
static int
has(const char *text, const char *line)
{
	size_t	n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return (1);
		p += n;
	}
	return (0);
}

/* count - how many times NEEDLE occurs in TEXT */
static int
count(const char *text, const char *needle)
{
	int	n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text += strlen(needle);
	}
	return (n);
}

/* line - check that OUT has LINE, showing it on failure */
#define line(out, l) do {						\
	ok(has((out), (l)), "%s", (l));					\
} while (0)

int
main(void)
{
	struct expo_org orgs[2] = { { "acme", NULL }, { "beta", NULL } };
	struct expo_proc p = { "9.9", 1800000000123LL, 1, 4, 7 };
	char	err[256], *out = NULL;
	size_t	len = 0;
	FILE   *fp;

	ok(expo_parse(&orgs[0], acme, strlen(acme), err, sizeof(err)) == 0,
	    "the library's answer is read");
	ok(expo_parse(&orgs[1], "{\"now\":1", 9, err, sizeof(err)) == -1 &&
	    strstr(err, "mailacd_metrics for beta: not JSON") != NULL,
	    "a truncated answer is refused: %s", err);
	ok(expo_parse(&orgs[1], "{\"now\":1,\"queues\":[]}", 21, err,
	    sizeof(err)) == -1 && strstr(err, "not the answer of library")
	    != NULL, "an answer without agents and domains is refused: %s",
	    err);
	ok(orgs[1].data == NULL, "beta is left unread");

	if ((fp = open_memstream(&out, &len)) == NULL)
		return (1);
	expo_write(fp, orgs, 2, &p);
	fclose(fp);

	/* this process's own */
	line(out, "mailacd_router_build_info{version=\"9.9\"} 1");
	line(out, "mailacd_router_start_time_seconds 1800000000.123");
	line(out, "mailacd_redis_up 1");
	line(out, "mailacd_redis_errors_total 4");
	line(out, "mailacd_scrape_duration_seconds 0.007");

	/* queues */
	line(out, "mailacd_queue_waiting{org=\"acme\",queue=\"support\"} 5");
	line(out, "mailacd_queue_oldest_wait_seconds{org=\"acme\","
	    "queue=\"support\"} 60.000");
	line(out, "mailacd_queue_oldest_wait_seconds{org=\"acme\","
	    "queue=\"billing\"} 0.000");
	line(out, "mailacd_queue_assigned{org=\"acme\",queue=\"support\"} 2");
	line(out, "mailacd_queue_service_level{org=\"acme\","
	    "queue=\"support\"} 0.75");
	ok(strstr(out, "mailacd_queue_service_level{org=\"acme\","
	    "queue=\"billing\"}") == NULL,
	    "no service level for a queue without a target");
	line(out, "mailacd_queue_service_level_target_seconds{org=\"acme\","
	    "queue=\"support\"} 60");
	line(out, "mailacd_queue_answered_today{org=\"acme\","
	    "queue=\"support\"} 4");
	line(out, "mailacd_queue_answered_within_target_today{org=\"acme\","
	    "queue=\"support\"} 3");
	line(out, "mailacd_queue_offered_total{org=\"acme\",queue=\"support\"} "
	    "9");
	line(out, "mailacd_queue_assignments_total{org=\"acme\","
	    "queue=\"support\"} 7");
	line(out, "mailacd_queue_answered_total{org=\"acme\","
	    "queue=\"support\"} 6");
	line(out, "mailacd_queue_closed_total{org=\"acme\",queue=\"support\"} "
	    "1");
	line(out, "mailacd_queue_transferred_total{org=\"acme\","
	    "queue=\"support\"} 0");
	line(out, "mailacd_delivery_give_ups_total{org=\"acme\","
	    "queue=\"support\"} 2");
	line(out, "mailacd_queue_offered_total{org=\"acme\",queue=\"billing\"} "
	    "0");

	/* the histogram: cumulative */
	line(out, "mailacd_queue_wait_seconds_bucket{org=\"acme\","
	    "queue=\"support\",le=\"10\"} 2");
	line(out, "mailacd_queue_wait_seconds_bucket{org=\"acme\","
	    "queue=\"support\",le=\"30\"} 3");
	line(out, "mailacd_queue_wait_seconds_bucket{org=\"acme\","
	    "queue=\"support\",le=\"1800\"} 3");
	line(out, "mailacd_queue_wait_seconds_bucket{org=\"acme\","
	    "queue=\"support\",le=\"3600\"} 5");
	line(out, "mailacd_queue_wait_seconds_bucket{org=\"acme\","
	    "queue=\"support\",le=\"86400\"} 5");
	line(out, "mailacd_queue_wait_seconds_bucket{org=\"acme\","
	    "queue=\"support\",le=\"+Inf\"} 6");
	line(out, "mailacd_queue_wait_seconds_sum{org=\"acme\","
	    "queue=\"support\"} 12.345");
	line(out, "mailacd_queue_wait_seconds_count{org=\"acme\","
	    "queue=\"support\"} 6");
	line(out, "mailacd_queue_wait_seconds_count{org=\"acme\","
	    "queue=\"billing\"} 0");
	is_int(count(out, "mailacd_queue_wait_seconds_bucket{org=\"acme\","
	    "queue=\"billing\""), 13, "13 buckets for a queue without totals");

	/* agents: the id escaped */
	line(out, "mailacd_agent_state{org=\"acme\",agent=\"al\\\"i\\\\ce\","
	    "state=\"away\"} 1");
	line(out, "mailacd_agent_state{org=\"acme\",agent=\"al\\\"i\\\\ce\","
	    "state=\"available\"} 0");
	line(out, "mailacd_agent_load{org=\"acme\",agent=\"al\\\"i\\\\ce\"} 1");
	line(out, "mailacd_agent_capacity{org=\"acme\","
	    "agent=\"al\\\"i\\\\ce\"} 3");

	/* the organisation */
	line(out, "mailacd_dead_letters{org=\"acme\"} 3");
	line(out, "mailacd_milter_handed_off_total{org=\"acme\"} "
	    "12345678901234567");
	line(out, "mailacd_milter_loops_total{org=\"acme\"} 2");
	line(out, "mailacd_milter_tempfailed_total{org=\"acme\"} 0");
	line(out, "mailacd_domain_status{org=\"acme\",domain=\"example.com\","
	    "status=\"failed\"} 1");
	line(out, "mailacd_domain_status{org=\"acme\",domain=\"example.com\","
	    "status=\"passed\"} 0");

	ok(strstr(out, "org=\"beta\"") == NULL,
	    "the organisation not read is left out");
	is_int(count(out, "# TYPE mailacd_queue_wait_seconds histogram\n"), 1,
	    "one TYPE line for the histogram");
	is_int(count(out, "# HELP "), count(out, "# TYPE "),
	    "a HELP for every TYPE");
	is_int(count(out, "(per process)"), 5,
	    "five families say they are per process");
	is_int(count(out, "# TYPE "), 35, "35 families");
	if (tap_failed)
		printf("# output:\n%s", out);

	expo_org_clear(&orgs[0]);
	expo_org_clear(&orgs[1]);
	free(out);
	return (done_testing());
}
