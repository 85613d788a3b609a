"""The shared variant store and the linkage vault: tables, engines, migrations, unit of work, repositories."""
