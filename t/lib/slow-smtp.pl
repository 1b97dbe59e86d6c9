#!/usr/bin/perl
# slow-smtp.pl - an SMTP client that holds its session open in the middle of
# DATA until told to go on, so that a test can do something (reload the
# milter, stop Redis) while a session is in progress.
#
# Usage: slow-smtp.pl HOST PORT FROM TO FILE READY GO [TIMEOUT]
#   Sends EHLO, MAIL, RCPT, DATA and the header section of FILE, creates the
#   file READY, waits (at most TIMEOUT s, default 30) until the file GO
#   exists, sends the rest of FILE and ".", prints the server's reply to the
#   end of DATA on stdout and quits.  Exit 0 when that reply is 2xx, 1 when it
#   is not, 2 on a protocol or time-out problem.  Core Perl only.
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

my ($host, $port, $from, $to, $file, $ready, $go, $timeout) = @ARGV;
die "usage: slow-smtp.pl HOST PORT FROM TO FILE READY GO [TIMEOUT]\n"
    unless defined $go;
$timeout ||= 30;

my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
    Proto => 'tcp', Timeout => 10) or do { print "connect: $!\n"; exit 2 };
$s->autoflush(1);
alarm($timeout + 30);

# reply - read one (multi-line) reply; returns its last line
sub reply {
	my $line;
	while (defined($line = <$s>)) {
		$line =~ s/\r?\n\z//;
		return $line if $line =~ /^\d{3}(?: |$)/;
	}
	print "connection closed\n";
	exit 2;
}

# cmd - send one command, expect a reply whose code starts with WANT
sub cmd {
	my ($c, $want) = @_;
	print $s "$c\r\n";
	my $r = reply();
	if ($r !~ /^$want/) {
		print "$c: $r\n";
		exit 2;
	}
	return $r;
}

my $banner = reply();
$banner =~ /^220/ or do { print "banner: $banner\n"; exit 2 };
cmd("EHLO slow.mailacd.test", "250");
cmd("MAIL FROM:<$from>", "250");
cmd("RCPT TO:<$_>", "250") for split /,/, $to;
cmd("DATA", "354");

open(my $fh, '<', $file) or do { print "$file: $!\n"; exit 2 };
my @lines = map { s/\r?\n\z//r } <$fh>;
close($fh);

my $i = 0;
# the header section, then wait
while ($i < @lines && $lines[$i] ne '') {
	my $l = $lines[$i++];
	$l = ".$l" if $l =~ /^\./;
	print $s "$l\r\n";
}

open(my $r, '>', $ready) or do { print "$ready: $!\n"; exit 2 };
close($r);
my $waited = 0;
while (!-e $go) {
	sleep(0.05);
	$waited += 0.05;
	if ($waited > $timeout) { print "no go after $timeout s\n"; exit 2 }
}

while ($i < @lines) {
	my $l = $lines[$i++];
	$l = ".$l" if $l =~ /^\./;
	print $s "$l\r\n";
}
print $s ".\r\n";
my $end = reply();
print "$end\n";
print $s "QUIT\r\n";
reply();
close($s);
exit($end =~ /^2/ ? 0 : 1);
