#ifndef PORTCULLIS_CSQLITESETTINGS_H
#define PORTCULLIS_CSQLITESETTINGS_H

/// Turns off SQLite's memory statistics for the whole process: with them on, every allocation SQLite makes (a bound
/// text's copy, a page, a cursor) takes one global mutex to update the counters, which all connections share.
/// `sqlite3_config` is variadic, so Swift cannot call it; this is the one place that does.
/// Returns SQLITE_OK, or SQLITE_MISUSE when the library was already initialized (the setting is then unchanged).
int portcullis_sqlite_disable_memory_statistics(void);

#endif
