#!/usr/bin/perl
# One session's random work for test/shell/concurrency.sh (and make fuzz's
# model mode): prints STEPS transactions of SQL on a small set of documents
# shared by every session, so sessions meet on the same invoices, lines,
# milestones and the settings row.
#   perl concurrency_gen.pl SEED SESSION STEPS [INVOICES]
# Every amount is well formed (USD, two decimals, positive): what is refused
# is refused for what it means (a posted invoice, an over-credit, a lock),
# not for its syntax.  Operations: issue an invoice (issued, or draft and
# issued later), add lines to drafts, usage, milestones completed and
# un-completed, credit notes against a line or standalone in either credit
# note mode, voids of invoices and credit notes, lock moves (forward and
# back) and manual journals.  A transaction holds one to three of them,
# sometimes posts mid-way (SET CONSTRAINTS ALL IMMEDIATE), sometimes sleeps a
# little to widen race windows, and rolls back one time in ten.  Even
# sessions continue after a refused statement (ON_ERROR_ROLLBACK).
#
# Invoice k (I1..I<INVOICES>) always has the same shape, whoever writes it:
# its product is fixed by k (straight line, usage, point in time, milestone),
# line L1 is the main charge, L2.. are added lines (a discount of L1's group,
# or another charge of the same product).
use strict;
use warnings;

my ($seed, $session, $steps, $ninv) = @ARGV;
$ninv ||= 10;
srand($seed * 7919 + $session);

sub pick { return $_[int(rand(@_))]; }
sub chance { return rand() < $_[0]; }
sub money { my ($lo, $hi) = @_; return sprintf('%.2f', $lo + int(rand(($hi - $lo) * 100)) / 100); }
sub day { my ($from, $span) = @_; return "(date '2025-01-01' + " . ($from + int(rand($span))) . ")"; }

my @PRODUCT = ('SUB', 'API', 'SET', 'MS');       # straight_line, usage, point_in_time, milestone
sub product_of { return $PRODUCT[$_[0] % 4]; }
my $n = 0;
sub uid { $n++; return "S${session}_$n"; }

# lines of one product, and (milestone lines) their milestones summing to them
sub line_sql {
    my ($k, $j, $amount, %o) = @_;
    my $p = product_of($k);
    my ($ss, $len) = (int(rand(120)), pick(0, 30, 90, 180, 364));
    my $group = $o{discount} ? "'I$k-L1'" : 'NULL';
    my $kind = $o{discount} ? 'discount' : 'charge';
    my @s = ("INSERT INTO revrec.invoice_line (line_id, invoice_id, product_id, amount, kind, group_id, service_start, service_end) "
             . "VALUES ('I$k-L$j', 'I$k', '$p', $amount, '$kind', $group, "
             . ($p eq 'MS' ? 'NULL, NULL' : "date '2025-01-01' + $ss, date '2025-01-01' + " . ($ss + $len)) . ")");
    if ($p eq 'MS' && !$o{discount}) {
        my $a1 = sprintf('%.2f', int($amount * 40) / 100);
        push @s, "INSERT INTO revrec.milestone (milestone_id, line_id, name, amount, completed_on) VALUES "
            . "('I$k-L$j-M1', 'I$k-L$j', 'phase 1', $a1, " . (chance(0.3) ? day(0, 200) : 'NULL') . "), "
            . "('I$k-L$j-M2', 'I$k-L$j', 'phase 2', $amount - $a1, NULL)";
    }
    if ($p eq 'API' && !$o{discount} && chance(0.3)) {
        push @s, "INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('I$k-L$j', date '2025-01-01' + $ss + "
            . int(rand($len + 1)) . ", " . money(1, $amount / 3) . ")";
    }
    return @s;
}

sub op {
    my $k = 1 + int(rand($ninv));
    my $r = rand();
    if ($r < 0.16) {                                   # a new invoice, issued or draft
        my $amount = money(100, 2000);
        my @s = ("INSERT INTO revrec.invoice (invoice_id, invoice_number, customer_id, currency, accounting_date, status) "
                 . "VALUES ('I$k', 'N$k', 'C" . (1 + $k % 3) . "', 'USD', " . day(0, 150) . ", '"
                 . (chance(0.4) ? 'draft' : 'issued') . "')");
        push @s, line_sql($k, 1, $amount);
        push @s, line_sql($k, 2, '-' . money(1, $amount / 4), discount => 1) if chance(0.3);
        return @s;
    }
    if ($r < 0.26) {                                   # add a line (to a draft, or refused)
        my $j = 2 + int(rand(3));
        return chance(0.4) ? line_sql($k, $j, '-' . money(1, 100), discount => 1) : line_sql($k, $j, money(50, 800));
    }
    return ("UPDATE revrec.invoice SET status = 'issued' WHERE invoice_id = 'I$k'") if $r < 0.34;
    if ($r < 0.46) {                                   # usage on a usage line
        return ("INSERT INTO revrec.usage (line_id, usage_date, amount) VALUES ('I$k-L" . pick(1, 1, 2) . "', "
                . day(0, 300) . ", " . money(1, 300) . ")");
    }
    if ($r < 0.54) {                                   # a milestone completed, or un-completed
        return ("UPDATE revrec.milestone SET completed_on = " . (chance(0.25) ? 'NULL' : day(0, 300))
                . " WHERE milestone_id = 'I$k-L" . pick(1, 1, 2) . "-M" . pick(1, 2) . "'");
    }
    if ($r < 0.70) {                                   # a credit note, in either mode
        my $id = uid();
        my @s;
        push @s, "UPDATE revrec.settings SET credit_note_mode = '" . pick('cancel', 'adjust') . "'" if chance(0.3);
        if (chance(0.15)) {                            # standalone
            push @s, "INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date) "
                . "VALUES ('CN$id', 'CN$id', 'C" . (1 + $k % 3) . "', NULL, 'USD', " . day(0, 300) . ")";
            push @s, "INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, product_id, amount) "
                . "VALUES ('CN$id-1', 'CN$id', NULL, 'SUB', " . money(1, 200) . ")";
        } else {
            push @s, "INSERT INTO revrec.credit_note (credit_note_id, credit_note_number, customer_id, invoice_id, currency, credit_date) "
                . "VALUES ('CN$id', 'CN$id', 'C" . (1 + $k % 3) . "', 'I$k', 'USD', " . day(0, 330) . ")";
            push @s, "INSERT INTO revrec.credit_note_line (credit_note_line_id, credit_note_id, line_id, amount) "
                . "VALUES ('CN$id-1', 'CN$id', 'I$k-L" . pick(1, 1, 2) . "', " . money(1, 600) . ")";
        }
        return @s;
    }
    if ($r < 0.76) {                                   # void an invoice
        return ("UPDATE revrec.invoice SET status = 'void', void_date = " . (chance(0.3) ? 'NULL' : day(60, 300))
                . " WHERE invoice_id = 'I$k'");
    }
    if ($r < 0.80) {                                   # void one of this session's credit notes
        return ("UPDATE revrec.credit_note SET status = 'void', void_date = " . day(100, 250)
                . " WHERE credit_note_id = 'CNS${session}_" . (1 + int(rand($n + 1))) . "'");
    }
    if ($r < 0.88) {                                   # move the lock, recording it with the posting mark
        my $to = chance(0.1) ? 'NULL' : "date '2024-12-31' + " . int(rand(150));
        return ("UPDATE revrec.settings SET lock_date = $to",
                "INSERT INTO conc_lock (lock_date, mark) SELECT s.lock_date, "
                . "(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM revrec.posting_posting_id_seq) FROM revrec.settings s");
    }
    # a manual journal, recorded beside the ledger in the same transaction
    my $a = money(1, 500);
    my $acc = pick('recognized', 'recognized', 'deferred');
    return ("INSERT INTO conc_mj (journal_number, amount) SELECT revrec.post_manual_journal(" . day(0, 330)
            . ", 'model test', '[{\"account\":\"$acc\",\"direction\":\"debit\",\"amount\":\"$a\"},"
            . "{\"account\":\"services\",\"direction\":\"credit\",\"amount\":\"$a\"}]', 'USD', 'C" . (1 + $k % 3) . "'), $a");
}

print "\\set VERBOSITY verbose\n";
# every other session goes on after a refused statement (psql rolls back to
# a savepoint of its own): documents half written, queued work of rolled-back
# subtransactions, posting in the outer transaction
print "\\set ON_ERROR_ROLLBACK on\n" if $session % 2 == 0;
for (1 .. $steps) {
    my @s = ('BEGIN');
    for (1 .. pick(1, 1, 2, 3)) {
        push @s, op();
        push @s, 'SET CONSTRAINTS ALL IMMEDIATE' if chance(0.15);
        push @s, 'SELECT pg_sleep(' . (int(rand(20)) / 1000) . ')' if chance(0.2);
    }
    push @s, chance(0.1) ? 'ROLLBACK' : 'COMMIT';
    print map({ "$_;\n" } @s);
}
