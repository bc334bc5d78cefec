using Microsoft.Data.Sqlite;

namespace MediaServer.Storage;

/// <summary>
/// The SQLite file in the data directory, owner-only (0600, and so are its -wal and -shm files, which SQLite creates with the
/// main file's mode). Each caller opens its own pooled connection.
/// </summary>
public sealed class Database
{
    private readonly string _connectionString;

    public Database(string path)
    {
        Path = path;
        if (!File.Exists(path))
        {
            // An empty file is an empty database; creating it here gives it 0600 from the start rather than the umask's 0644.
            using (new FileStream(path, KeyDirectory.CreateOptions(FileMode.CreateNew)))
            {
            }
        }
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            KeyDirectory.NarrowFile(file);
        }
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();
        Migrate();
    }

    public string Path { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    private void Migrate()
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS visits (
                id TEXT PRIMARY KEY,
                inmate_id TEXT NOT NULL,
                start TEXT NOT NULL,
                end TEXT NOT NULL,
                privileged INTEGER NOT NULL,
                flagged INTEGER NOT NULL,
                state TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at TEXT NOT NULL,
                ended_at TEXT NULL,
                end_reason TEXT NULL
            );
            CREATE INDEX IF NOT EXISTS visits_state ON visits(state);
            CREATE TABLE IF NOT EXISTS audit (
                seq INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                role TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                outcome TEXT NOT NULL,
                count INTEGER NOT NULL DEFAULT 1,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS recordings (
                visit_id TEXT PRIMARY KEY,
                state TEXT NOT NULL,
                directory TEXT NOT NULL,
                inmate_id TEXT NOT NULL,
                inmate_name TEXT NOT NULL,
                visitors TEXT NOT NULL,
                flagged INTEGER NOT NULL,
                started_at TEXT NOT NULL,
                ended_at TEXT NULL,
                duration_seconds REAL NULL,
                hold INTEGER NOT NULL DEFAULT 0,
                error TEXT NULL,
                render_attempts INTEGER NOT NULL DEFAULT 0,
                next_render_at TEXT NULL,
                recovered INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX IF NOT EXISTS recordings_state ON recordings(state);
            CREATE TABLE IF NOT EXISTS visit_flags (
                id INTEGER PRIMARY KEY,
                visit_id TEXT NOT NULL,
                at TEXT NOT NULL,
                by TEXT NOT NULL,
                note TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS visit_flags_visit ON visit_flags(visit_id, id);
            CREATE TABLE IF NOT EXISTS visit_timeline (
                visit_id TEXT NOT NULL,
                seq INTEGER NOT NULL,
                at TEXT NOT NULL,
                kind TEXT NOT NULL,
                participant TEXT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (visit_id, seq)
            );
            CREATE TABLE IF NOT EXISTS visit_media (
                visit_id TEXT NOT NULL,
                participant TEXT NOT NULL,
                in_seconds REAL NOT NULL,
                out_seconds REAL NOT NULL,
                both_seconds REAL NOT NULL,
                updated_at TEXT NOT NULL,
                PRIMARY KEY (visit_id, participant)
            );
            """;
        command.ExecuteNonQuery();
        AddColumnIfMissing(connection, "audit", "count", "INTEGER NOT NULL DEFAULT 1");
    }

    private static void AddColumnIfMissing(SqliteConnection connection, string table, string column, string definition)
    {
        using var probe = connection.CreateCommand();
        probe.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if ((long)probe.ExecuteScalar()! > 0)
        {
            return;
        }
        using var alter = connection.CreateCommand();
        alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
        alter.ExecuteNonQuery();
    }
}
