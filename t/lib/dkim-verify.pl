#!/usr/bin/perl
# dkim-verify.pl - verify DKIM signatures with Perl's Mail::DKIM, which
# shares no code with libopendkim, on messages exactly as received.
#
# Usage: dkim-verify.pl RECORDS DOMAIN FILE...
#
# RECORDS holds one "NAME TEXT" line per key record; DNS look-ups are
# answered from it alone.  For each FILE the result of the signature of
# DOMAIN (d=) is printed as "pass FILE" or "fail FILE: result (detail)".
# Exit 0 when every file passed.
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS;

my ($records, $domain, @files) = @ARGV;
my %rec;
open(my $rf, '<', $records) or die "$records: $!\n";
while (my $l = <$rf>) {
	chomp $l;
	my ($name, $text) = split(/ /, $l, 2);
	$name =~ s/\.$//;
	$rec{lc $name} = $text;
}
close($rf);

# answer the verifier's TXT look-ups from RECORDS, never from the network
{
	no warnings 'redefine';
	*Mail::DKIM::DNS::query = sub {
		my ($name, $type) = @_;
		$name =~ s/\.$//;
		my $t = $rec{lc $name};
		return () unless defined $t && $type eq 'TXT';
		my @parts = unpack('(A255)*', $t);
		return (Net::DNS::RR->new(name => $name, type => 'TXT',
		    txtdata => [@parts]));
	};
}

my $bad = 0;
for my $path (@files) {
	open(my $fh, '<:raw', $path) or die "$path: $!\n";
	my $v = Mail::DKIM::Verifier->new();
	local $/ = \65536;
	while (my $chunk = <$fh>) {
		$v->PRINT($chunk);
	}
	close($fh);
	$v->CLOSE();
	my ($res, $detail) = ('none', 'no DKIM-Signature of d=' . $domain);
	for my $s ($v->signatures) {
		next unless lc($s->domain // '') eq lc($domain);
		($res, $detail) = ($s->result, $s->result_detail);
		last if $res eq 'pass';
	}
	if ($res eq 'pass') {
		print "pass $path\n";
	} else {
		$bad++;
		print "fail $path: $res ($detail)\n";
	}
}
exit($bad ? 1 : 0);
