/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Append new
 * migrations, never edit old ones: a database written by an older release upgrades in place.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE bans (
     jail TEXT NOT NULL,
     ip TEXT NOT NULL,
     family INTEGER NOT NULL,
     time INTEGER NOT NULL,
     bantime INTEGER NOT NULL,
     expires INTEGER,            -- NULL = permanent
     failures INTEGER NOT NULL,
     ban_count INTEGER NOT NULL,
     matches TEXT NOT NULL,      -- JSON array of log lines
     users TEXT,                 -- JSON array
     reason TEXT,
     PRIMARY KEY (jail, ip)
   ) WITHOUT ROWID;
   CREATE TABLE ban_history (
     jail TEXT NOT NULL,
     ip TEXT NOT NULL,
     time INTEGER NOT NULL,
     expires INTEGER
   );
   CREATE INDEX ban_history_ip ON ban_history (ip, time);
   CREATE INDEX ban_history_time ON ban_history (time);
   CREATE TABLE positions (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID;`,
  // Failures counted but not yet banned, saved with the read positions (one row per host): a restart
  // resumes counting instead of forgetting them. times are ms, comma-separated, oldest first.
  `CREATE TABLE failures (
     jail TEXT NOT NULL,
     host TEXT NOT NULL,
     times TEXT NOT NULL,
     newest INTEGER NOT NULL,
     PRIMARY KEY (jail, host)
   ) WITHOUT ROWID;
   CREATE INDEX failures_newest ON failures (newest);`,
  // Every failure save (each second, a row per changed host) also rewrote this index: a quarter of the
  // save's time under a flood of new hosts. Its one reader is the hourly purge, which scans the table now.
  'DROP INDEX IF EXISTS failures_newest;',
];
