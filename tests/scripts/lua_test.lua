-- lua5.4: strings, tables, closures, coroutines, integers/floats, io, os.
local t = {}
for i = 1, 10 do t[#t + 1] = i * i end
print(table.concat(t, ","))
print(string.format("%5.2f|%-5s|%05d|%x|%q", math.pi, "ab", 42, 255, "a\nb"))
print(("hello world"):gsub("o", "0"), ("abc"):rep(3, "-"), ("Friscy"):upper())
for k, v in string.gmatch("a=1, b=2, c=3", "(%w+)=(%w+)") do io.write(k, "->", v, " ") end
print()
local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c = counter(); c(); c()
print("closure:", c())
local co = coroutine.create(function(a, b)
  local x = coroutine.yield(a + b)
  local y = coroutine.yield(x * 2)
  return y + 1
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, 100))
print(coroutine.status(co))
print(math.maxinteger, math.mininteger, 7 // 2, 7 / 2, 2^53, 3 % -2, math.type(1), math.type(1.0))
print(utf8.char(72, 233, 8364), utf8.len("héllo"))
local keys = {}
for k in pairs({zeta = 1, alpha = 2, mid = 3}) do keys[#keys + 1] = k end
table.sort(keys)
print(table.concat(keys, " "))
print(pcall(error, {code = 42}), select("#", 1, nil, 3))
print(os.time({year = 2023, month = 11, day = 14, hour = 22, min = 13, sec = 20, isdst = false}))
print(os.date("!%Y-%m-%d %H:%M:%S", 1700000000))
local f = assert(io.open("/tmp/lua-test.txt", "w"))
f:write("line one\nline two\n")
f:close()
for line in io.lines("/tmp/lua-test.txt") do print("read:", line) end
print(os.remove("/tmp/lua-test.txt"))
local p = io.popen("echo from popen; echo second")
print(p:read("a"))
print(p:close())
-- Not a non-zero exit: luaL_execresult then reports a stale errno, and
-- under qemu 7.2 (no clone3) errno is ENOSYS there, unlike on Linux.
print(os.execute("exit 0"))
print(os.getenv("HOME"))
print(string.pack(">I4", 0xdeadbeef):byte(1, -1))
collectgarbage()
print("done")
