import GRDB

/// Counts kept per installation as entries are registered and recorded, so that
/// `uploader status` reads a few rows instead of every entry of a large ledger.
///
/// Triggers on `entry` keep them in the same transaction as the entry rows they count, whatever
/// statement changes those: `entryCount` holds the entries of each installation in each state,
/// `heldSequence` the number of distinct sequences held outside quarantine (a fork holds one
/// sequence twice). Where those sequences run unbroken from the lowest to the highest, the only
/// missing range is the one below the lowest, and the gaps query is not needed.
enum LedgerCounts {
    /// Whether another entry outside quarantine holds the same sequence as `row` (OLD or NEW).
    private static func others(_ row: String) -> String {
        """
        EXISTS (SELECT 1 FROM entry AS other WHERE other.installation = \(row).installation
            AND other.sequence = \(row).sequence AND other.state != 'quarantined' AND other.id != \(row).id)
        """
    }

    /// Counts NEW as one more entry in its state.
    private static let countNew = """
        INSERT INTO entryCount (installation, state, entries) VALUES (NEW.installation, NEW.state, 1)
            ON CONFLICT (installation, state) DO UPDATE SET entries = entries + 1;
        """

    /// Counts OLD as one entry fewer in its state.
    private static let uncountOld = "UPDATE entryCount SET entries = entries - 1 WHERE installation = OLD.installation AND state = OLD.state;"

    private static let add = """
        \(countNew)
        INSERT INTO heldSequence (installation, sequences) VALUES (NEW.installation, 0) ON CONFLICT (installation) DO NOTHING;
        UPDATE heldSequence SET sequences = sequences + 1
            WHERE installation = NEW.installation AND NEW.state != 'quarantined' AND NOT \(others("NEW"));
        """

    private static let subtract = """
        \(uncountOld)
        UPDATE heldSequence SET sequences = sequences - 1
            WHERE installation = OLD.installation AND OLD.state != 'quarantined' AND NOT \(others("OLD"));
        """

    /// An entry that only moves between states outside quarantine (pending, retrying, delivered,
    /// rejected: every answer to an attempt) keeps its sequence held: only its state's count moves.
    private static let stateOnly = """
        OLD.installation = NEW.installation AND OLD.sequence = NEW.sequence AND OLD.state != NEW.state
            AND OLD.state != 'quarantined' AND NEW.state != 'quarantined'
        """

    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4 entry counts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE entryCount (
                        installation TEXT NOT NULL,
                        state TEXT NOT NULL,
                        entries INTEGER NOT NULL,
                        PRIMARY KEY (installation, state)
                    ) WITHOUT ROWID;
                    CREATE TABLE heldSequence (
                        installation TEXT PRIMARY KEY,
                        sequences INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO entryCount (installation, state, entries)
                        SELECT installation, state, COUNT(*) FROM entry GROUP BY installation, state;
                    INSERT INTO heldSequence (installation, sequences)
                        SELECT installation, COUNT(DISTINCT CASE WHEN state != 'quarantined' THEN sequence END) FROM entry GROUP BY installation;
                    CREATE TRIGGER entry_count_insert AFTER INSERT ON entry BEGIN
                        \(add)
                    END;
                    CREATE TRIGGER entry_count_delete AFTER DELETE ON entry BEGIN
                        \(subtract)
                    END;
                    CREATE TRIGGER entry_count_update AFTER UPDATE OF installation, sequence, state ON entry
                    WHEN OLD.installation != NEW.installation OR OLD.sequence != NEW.sequence OR OLD.state != NEW.state BEGIN
                        \(subtract)
                        \(add)
                    END;
                    -- The latest failures without passing over every successful attempt.
                    CREATE INDEX attempt_failed ON attempt (id) WHERE status IS NULL OR status NOT BETWEEN 200 AND 299;
                    """)
        }
        // Recording an answer changed an entry's state through `subtract` and `add`: five
        // statements, two of them searching for other entries of the same sequence, whose
        // results cancel out. A state-only change now moves one count each way; 19 % of the
        // uploader's CPU was the ledger's (docs/PERFORMANCE.md).
        migrator.registerMigration("v5 state-only count updates") { db in
            try db.execute(
                sql: """
                    DROP TRIGGER entry_count_update;
                    CREATE TRIGGER entry_count_update AFTER UPDATE OF installation, sequence, state ON entry
                    WHEN (OLD.installation != NEW.installation OR OLD.sequence != NEW.sequence OR OLD.state != NEW.state)
                        AND NOT (\(stateOnly)) BEGIN
                        \(subtract)
                        \(add)
                    END;
                    CREATE TRIGGER entry_count_state AFTER UPDATE OF state ON entry WHEN \(stateOnly) BEGIN
                        \(uncountOld)
                        \(countNew)
                    END;
                    """)
        }
    }
}
