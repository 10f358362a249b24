# json, plus a little of the pure-Python standard library.
import json, collections, re, struct, hashlib, zlib, base64, datetime, decimal, fractions

doc = {"name": "friscy", "list": [1, 2.5, None, True, "é"], "nested": {"b": 2, "a": 1}}
text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)
print(text)
back = json.loads(text)
assert back == doc
print(json.dumps(back, separators=(",", ":"), sort_keys=True))
print(collections.Counter("mississippi").most_common(3))
print(re.findall(r"(\w)(\d+)", "a1 b22 c333"))
print(struct.pack("<IhQ", 1, -2, 3).hex(), struct.unpack(">d", struct.pack(">d", 1.5)))
print(hashlib.sha256(b"friscy").hexdigest(), hashlib.md5(b"").hexdigest())
z = zlib.compress(b"abc" * 1000)
print(len(z), zlib.decompress(z)[:9], zlib.crc32(b"friscy"))
print(base64.b64encode(b"\x00\xffhello"))
print(datetime.datetime.fromtimestamp(1700000000, tz=datetime.timezone.utc).isoformat())
print(decimal.Decimal(1) / decimal.Decimal(7), fractions.Fraction(3, 9) + fractions.Fraction(1, 6))
print(sorted({3, 1, 2}), sum(x * x for x in range(1000)), 2 ** 100, round(2.675, 2), 1e300 * 10)
print("%.10f %e %g" % (3.141592653589793, 12345.678, 0.0001))
