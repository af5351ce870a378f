#!/usr/bin/perl
# Random revrec workload for scripts/fuzz.sh: prints N transactions of SQL.
#   perl test/fuzz/gen.pl SEED N BATCH
# Documents (invoices of every kind and method, credit notes, usage,
# milestones, grants, billing schedules), voids, re-issues, lock and setting
# changes, manual journals, reports and exports, and direct calls of the C
# entry points — with amounts and dates drawn mostly from ordinary values and
# often from the extremes (0, +/-(2^63-1) minor units, too many decimals, NaN,
# infinity, PostgreSQL's first and last dates, 1,000-year periods, nulls).
# Ids are prefixed by the batch number, and later batches refer back to
# earlier ones at random, so documents meet their corrections across commits.
use strict;
use warnings;

my ($seed, $n, $batch) = @ARGV;
srand($seed);
my $P = "b${batch}_";

sub pick { return $_[int(rand(@_))]; }
sub chance { return rand() < $_[0]; }
sub sq { my $s = shift; return 'NULL' unless defined $s; $s =~ s/'/''/g; return "'$s'"; }

my @CUR = (('USD') x 6, 'EUR', 'GBP', 'JPY', 'KRW', 'BHD', 'KWD', 'CLF', 'XYZ');
my %EXP = (USD => 2, EUR => 2, GBP => 2, JPY => 0, KRW => 0, BHD => 3, KWD => 3, CLF => 4, XYZ => 2);
my @STRAT = ('daily_rate_even_months', 'month_fraction_even_months', 'thirty_day_even_months', 'daily');
my @METHOD = ('straight_line', 'usage', 'point_in_time', 'milestone');
my @PRODUCT = ('P_SL', 'P_US', 'P_PT', 'P_MS');
my @EXTREME_DATES = ("'4713-01-01 BC'", "'4713-11-24 BC'", "'5874897-12-31'", "'5874897-12-01'",
    "'infinity'", "'-infinity'", "'2000-02-29'", "'1999-12-31'", "'0001-01-01'", "'9999-12-31'",
    "'2024-02-29'", "'2100-02-28'", 'NULL');

# an ordinary day near now, as a number of days after 2024-01-01
sub dayn { return int(rand(900)) - 100; }
sub d { my $k = shift; return "(date '2024-01-01' + $k)"; }
sub rdate {
    return pick(@EXTREME_DATES) if chance(0.04);
    return d(dayn());
}
# a service period [start, end]
sub period {
    my $s = dayn();
    return (pick(@EXTREME_DATES), pick(@EXTREME_DATES)) if chance(0.02);
    return (d($s), d($s - 1 - int(rand(40)))) if chance(0.02);          # end before start
    return (d($s), d($s + 365249)) if chance(0.004);                   # the longest allowed
    return (d($s), d($s + 365250)) if chance(0.004);                   # one day too long
    return (d($s), d($s + pick(0, 0, 1, 27, 28, 29, 30, 31, 58, 89, 364, 365, 366, 729, 1095) + int(rand(3))))
        if chance(0.4);
    return (d($s), d($s + int(rand(400))));
}
# an amount in currency $c, as SQL
sub amount {
    my ($c, $sign) = @_;
    my $e = $EXP{$c};
    if (chance(0.06)) {
        return pick("'NaN'", "'Infinity'", "'-Infinity'", '0', '-0', '1e30', '-1e30', '0.0000001',
                    '92233720368547758.07', '92233720368547758.08', '-92233720368547758.07',
                    '-92233720368547758.08', '9223372036854775807', '-9223372036854775808',
                    '922337203685477.5807', '0.01', '0.001', '0.005', '1.5', 'NULL', '1e-2',
                    '123456789012345678901234567890.12');
    }
    my $minor = chance(0.1) ? int(rand(3)) : chance(0.1) ? int(rand(1e15)) : 1 + int(rand(5_000_000));
    $minor = -$minor if ($sign // 1) < 0 || chance(0.03);
    my $s = sprintf('%s%d', $minor < 0 ? '-' : '', abs($minor));
    if ($e > 0) {
        $s = ($minor < 0 ? '-' : '') . sprintf('%0*d', $e + 1, abs($minor));
        substr($s, length($s) - $e, 0) = '.';
    }
    $s .= pick('1', '5', '9') if chance(0.02);                          # one decimal too many
    return $s;
}

# ids made in this batch (and guesses at earlier ones)
my (@inv, @line, @cn, @ms, @grant, @bsl);
sub old_id {
    my ($kind, $list) = @_;
    return pick(@$list) if @$list && chance(0.7);
    my $b = $batch > 0 ? int(rand($batch)) : 0;
    return "b${b}_$kind" . int(rand(40));
}
my $seq = 0;
sub newid { my $k = shift; $seq++; return "$P$k$seq"; }

sub invoice {
    my $id = newid('I');
    my $cust = 'C' . (1 + int(rand(5)));
    my $cur = pick(@CUR);
    my $status = chance(0.15) ? 'draft' : 'issued';
    my @s = ("INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status) VALUES ("
             . sq($id) . ", " . sq("N$seq") . ", " . sq($cust) . ", " . sq($cur) . ", " . rdate() . ", '$status')");
    my @mine;
    for (1 .. 1 + int(rand(4))) {
        my $lid = newid('L');
        my $kind = chance(0.75) ? 'charge' : pick('discount', 'invoice_discount', 'minimum_true_up', 'credit_usage');
        my $prod = pick(@PRODUCT);
        my $method = chance(0.2) ? pick(@METHOD) : undef;
        my ($ss, $se) = chance(0.85) ? period() : ('NULL', 'NULL');
        my $amt = amount($cur, $kind =~ /discount|credit_usage/ ? -1 : 1);
        my $group = (@mine && ($kind ne 'charge' || chance(0.2))) ? pick(@mine) : (chance(0.05) ? old_id('L', \@line) : undef);
        my $grant = $kind eq 'credit_usage' ? old_id('G', \@grant) : undef;
        my $bsl = chance(0.05) ? old_id('S', \@bsl) : undef;
        my $ssp = chance(0.1) ? pick('0', '100', '1e6', '0.5') : undef;
        my $ron = chance(0.1) ? rdate() : 'NULL';
        push @s, "INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, billing, service_start, service_end, recognition_method, recognize_on, schedule_line_id, grant_id, ssp) VALUES ("
            . join(', ', sq($lid), sq($id), sq($prod), $amt, sq($kind), sq($group), sq(pick('in_advance', 'in_arrears')),
                   $ss, $se, sq($method), $ron, sq($bsl), sq($grant), $ssp // 'NULL') . ")";
        push @mine, $lid if $kind eq 'charge';
        if (($prod eq 'P_MS' && !defined $method) || ($method // '') eq 'milestone') {
            # milestones, usually summing to the line
            my $k = 1 + int(rand(3));
            for my $j (1 .. $k) {
                my $mid = newid('M');
                my $ma = chance(0.8) && $amt =~ /^-?[0-9.]+$/ ? "round($amt / $k, $EXP{$cur})" . ($j == $k ? " + ($amt - $k * round($amt / $k, $EXP{$cur}))" : '') : amount($cur);
                push @s, "INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on) VALUES ("
                    . join(', ', sq($mid), sq($lid), sq("phase $j"), $ma, chance(0.3) ? rdate() : 'NULL') . ")";
                push @ms, $mid;
            }
        }
        if (($prod eq 'P_US' && !defined $method) || ($method // '') eq 'usage') {
            for (1 .. int(rand(3))) {
                push @s, "INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES (" . join(', ', sq($lid), rdate(), amount($cur)) . ")";
            }
        }
    }
    push @line, @mine;
    push @inv, $id;
    push @s, 'SET CONSTRAINTS ALL IMMEDIATE' if chance(0.1);
    return @s;
}

sub credit_note {
    my $id = newid('CN');
    my $cur = chance(0.9) ? 'USD' : pick(@CUR);
    my @s = ("INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date) VALUES ("
             . join(', ', sq($id), sq("CN$seq"), sq('C' . (1 + int(rand(5)))), chance(0.8) ? sq(old_id('I', \@inv)) : 'NULL', sq($cur), rdate()) . ")");
    for (1 .. 1 + int(rand(3))) {
        my $standalone = chance(0.15);
        push @s, "INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, product_id, amount) VALUES ("
            . join(', ', sq(newid('CL')), sq($id), $standalone ? 'NULL' : sq(old_id('L', \@line)),
                   $standalone || chance(0.2) ? sq(pick(@PRODUCT)) : 'NULL', amount($cur)) . ")";
    }
    push @cn, $id;
    return @s;
}

sub statements {
    my $r = rand();
    return invoice() if $r < 0.30;
    return credit_note() if $r < 0.40;
    return ("UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = " . sq(old_id('I', \@inv))) if $r < 0.43;
    return ("UPDATE revrec.invoice SET status = 'void', void_date = " . (chance(0.3) ? 'NULL' : rdate())
            . " WHERE invoice_id = " . sq(old_id('I', \@inv))) if $r < 0.47;
    return ("UPDATE revrec.credit_note SET status = 'void' WHERE credit_note_id = " . sq(old_id('CN', \@cn))) if $r < 0.49;
    return ("INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES (" . join(', ', sq(old_id('L', \@line)), rdate(), amount('USD')) . ")") if $r < 0.53;
    return ("UPDATE revrec.milestone SET completed_on = " . (chance(0.3) ? 'NULL' : rdate()) . " WHERE milestone_id = " . sq(old_id('M', \@ms))) if $r < 0.58;
    if ($r < 0.61) {   # changes to posted documents (must be refused) and to the ledger (append-only)
        return pick("UPDATE revrec.invoice_line SET amount = amount + 1 WHERE line_id = " . sq(old_id('L', \@line)),
                    "UPDATE revrec.invoice SET accounting_date = " . rdate() . " WHERE invoice_id = " . sq(old_id('I', \@inv)),
                    "DELETE FROM revrec.invoice_line WHERE line_id = " . sq(old_id('L', \@line)),
                    "UPDATE revrec.posting SET floor_date = floor_date WHERE posting_id IN (SELECT posting_id FROM revrec.posting ORDER BY random() LIMIT 1)",
                    "DELETE FROM revrec.posting WHERE posting_id IN (SELECT posting_id FROM revrec.posting ORDER BY random() LIMIT 1)");
    }
    if ($r < 0.66) {   # settings
        return pick("UPDATE revrec.settings SET lock_date = " . (chance(0.2) ? 'NULL' : chance(0.1) ? pick(@EXTREME_DATES) : d(int(rand(300)) - 200)),
                    "UPDATE revrec.settings SET lock_to_accounting_date = " . pick('true', 'false'),
                    "UPDATE revrec.settings SET credit_note_mode = " . sq(pick('cancel', 'adjust')),
                    "UPDATE revrec.settings SET allocation_strategy = " . sq(pick(@STRAT, 'weekly')));
    }
    if ($r < 0.69) {
        my $id = newid('G');
        push @grant, $id;
        my $e = rdate();
        return ("INSERT INTO revrec.credit_grant VALUES (" . join(', ', sq($id), sq('C' . (1 + int(rand(5)))), sq(pick('USD', 'USD', 'EUR')), amount('USD'), $e,
                chance(0.5) ? 'NULL' : "($e)::date + " . int(rand(400))) . ")");
    }
    if ($r < 0.72) {
        my $id = newid('S');
        push @bsl, $id;
        my ($ss, $se) = period();
        my $c = pick(@CUR);
        return ("INSERT INTO revrec.billing_schedule_line (schedule_line_id, customer_id, product_id, currency, amount, service_start, service_end, recognition_method) VALUES ("
                . join(', ', sq($id), sq('C' . (1 + int(rand(5)))), sq(pick('P_SL', 'P_PT')), sq($c), amount($c), $ss, $se, sq(pick('straight_line', 'point_in_time', undef))) . ")");
    }
    if ($r < 0.76) {   # manual journals, balanced or not, well formed or not
        my $c = pick(@CUR);
        my $a = amount($c); $a =~ s/'//g;
        my @acc = ('billed', 'deferred', 'recognized', 'unbilled', 'nope');
        my @l = map { sprintf('{"account":"%s","direction":"%s","amount":"%s"}', pick(@acc), $_ % 2 ? 'credit' : 'debit', chance(0.9) ? $a : amount($c)) } 1 .. 2 * (1 + int(rand(2)));
        my $json = chance(0.9) ? '[' . join(',', @l) . ']'
                 : pick('[]', '{}', '[{}]', '[1,2]', '[{"account":"billed"}]', 'null', '[{"account":"billed","direction":"up","amount":"1"},{"account":"deferred","direction":"credit","amount":"1"}]',
                        '[{"account":"billed","direction":"debit","amount":1e400},{"account":"deferred","direction":"credit","amount":"x"}]');
        return ("SELECT revrec.post_manual_journal(" . join(', ', rdate(), sq("fuzz $seq"), sq($json) . '::jsonb', sq($c), sq(pick('C1', 'C2', undef)), sq(pick(@PRODUCT, undef))) . ")");
    }
    if ($r < 0.84) {   # the C entry points called directly
        my ($ss, $se) = period();
        my $c = pick(@CUR);
        my @big = ('0', '1', '-1', '2', '9223372036854775807', '-9223372036854775807', '-9223372036854775808', '4611686018427387904', int(rand(1e9)));
        my $arr = sub { 'ARRAY[' . join(',', map { chance(0.05) ? 'NULL' : pick(@big) } 1 .. shift) . ']::bigint[]' };
        return pick(
            "SELECT count(*), sum(amount) FROM revrec.schedule(" . join(', ', amount($c), $ss, $se, sq(pick(@STRAT, 'weekly', '', undef)), sq($c)) . ")",
            "SELECT count(*), sum(amount) FROM revrec.monthly_schedule(" . join(', ', amount($c), $ss, $se, sq(pick(@STRAT, 'x')), sq($c)) . ")",
            "SELECT revrec.to_minor_units(" . amount($c) . ", " . sq(pick(@CUR, undef, '', 'usd')) . ")",
            "SELECT revrec.from_minor_units(" . pick(@big) . ", " . sq(pick(@CUR, undef)) . ")",
            "SELECT revrec._allocate(" . pick(@big) . ", " . $arr->(int(rand(6))) . ")",
            "SELECT revrec._negate_amounts(" . $arr->(3 * int(rand(4))) . ")",
            "SELECT revrec._account_sum(" . $arr->(int(rand(10))) . ", " . pick(0, 1, 2, 3, 4, -1) . "::smallint)",
            "SELECT revrec._recognition_delta(" . rdate() . ", ARRAY[" . join(',', map { rdate() } 1 .. 3) . "]::date[], " . $arr->(3) . ")",
            "SELECT revrec._schedule_sum(" . join(', ', pick(@big), $ss, $se, pick(0, 1, 2, 3, 4, -1, 99) . '::smallint', rdate(), rdate()) . ")",
            "SELECT revrec._journal_number(" . join(', ', sq(pick('invoice', 'credit_note', 'x%/y')), sq(pick('I1', 'a/b%c', '')), sq(pick('P', undef)), rdate()) . ")",
            "SELECT count(*) FROM revrec.posting p, LATERAL revrec._posting_stats(p) s",
            "SELECT sum(revrec._posting_sum(p, " . rdate() . ", " . rdate() . ")) FROM revrec.posting p");
    }
    # reports and exports over random ranges
    my $c = sq(pick('USD', 'EUR', 'JPY', 'BHD', 'XYZ', undef));
    my ($f, $t) = (rdate(), rdate());
    my $g = sq(pick('day', 'month', 'month', 'week', undef));
    my $common = "$f, $t, currency => $c, granularity => $g" . (chance(0.2) ? ", as_of => now() - interval '1 second' * " . int(rand(100)) : '')
        . (chance(0.2) ? ', exclude_fully_recognized => true' : '') . (chance(0.2) ? ", customer_id => 'C1'" : '');
    return pick("SELECT count(*), sum(amount) FROM revrec.journal_report($common)",
                "SELECT count(*), sum(remaining) FROM revrec.deferred_revenue($f, $c)",
                "SELECT count(*), sum(amount) FROM revrec.waterfall($f, $c)",
                "SELECT count(*) FROM revrec.export_sequence($common)",
                "SELECT count(*) FROM revrec.export_xero($common)",
                "SELECT count(*) FROM revrec.export_quickbooks($common)",
                "SELECT count(*) FROM revrec.export_netsuite($common)",
                "SELECT count(*) FROM revrec.waterfall_csv($f, months => " . pick(0, 1, 12, 120, -1) . ")");
}

for my $i (1 .. $n) {
    my @s;
    push @s, statements() for 1 .. (chance(0.3) ? 1 + int(rand(4)) : 1);
    print "BEGIN;\n", map({ "$_;\n" } @s), chance(0.05) ? "ROLLBACK;\n" : "COMMIT;\n";
}
