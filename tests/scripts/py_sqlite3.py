# sqlite3 from the standard library (the _sqlite3 extension), in memory and on disk.
import sqlite3, os

con = sqlite3.connect(":memory:")
con.execute("create table t (id integer primary key, name text, score real)")
con.executemany("insert into t (name, score) values (?, ?)", [("ann", 3.5), ("bob", 2.25), ("cy", 9.0)])
print(con.execute("select name, score from t order by score desc").fetchall())
print(con.execute("select count(*), sum(score), avg(score) from t").fetchone())
print(con.execute("with recursive c(x) as (select 1 union all select x + 1 from c where x < 10) select group_concat(x) from c").fetchone())
print("sqlite version tuple length:", len(sqlite3.sqlite_version_info))
path = "/tmp/py-test.db"
if os.path.exists(path):
    os.remove(path)
db = sqlite3.connect(path)
db.execute("pragma journal_mode=wal")
db.execute("create table kv (k text primary key, v blob)")
with db:
    for i in range(500):
        db.execute("insert into kv values (?, ?)", (f"key{i:04d}", os.urandom(0) + bytes([i % 256]) * 64))
db.close()
db = sqlite3.connect(path)
print(db.execute("select count(*), length(group_concat(v)) from kv").fetchone())
print(db.execute("select k from kv where k like 'key01%' order by k limit 3").fetchall())
db.execute("create index idx on kv(v)")
print(db.execute("pragma integrity_check").fetchone())
db.close()
os.remove(path)
for suffix in ("-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
print("done")
