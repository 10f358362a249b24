.mode list
.headers on
create table person (id integer primary key, name text not null, born integer);
insert into person (name, born) values ('Ada', 1815), ('Alan', 1912), ('Grace', 1906), ('Edsger', 1930);
select name, born from person where born > 1900 order by born;
.mode csv
select count(*) as n, min(born), max(born) from person;
.mode column
select upper(name) as name, length(name) as len from person order by len, name;
.tables
.schema person
with recursive fib(a, b, n) as (select 0, 1, 1 union all select b, a + b, n + 1 from fib where n < 30) select max(a) from fib;
create table big as with recursive c(x) as (select 1 union all select x + 1 from c where x < 20000) select x, printf('%08d', x) as s from c;
select count(*), sum(x), max(s) from big;
create index big_s on big(s);
pragma integrity_check;
select json_object('a', 1, 'b', json_array(1, 2, 3));
select printf('%.3f', 22.0 / 7), 7 / 2, 7 % 3, abs(-4), round(2.5);
