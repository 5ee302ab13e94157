import { describe, expect, it } from "@effect/vitest"
import { addressKey } from "../src/index.js"

describe("addressKey", () => {
  it("counts an IPv4 address whole", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7")
    expect(addressKey("203.0.113.8")).toBe("203.0.113.8")
  })

  it("counts every address of one IPv6 /64 under one key", () => {
    const keys = ["2001:db8:0:1::1", "2001:db8:0:1::2", "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:1:a:b:c:d"].map(
      addressKey,
    )
    expect(new Set(keys)).toEqual(new Set(["2001:db8:0:1::/64"]))
  })

  it("counts neighbouring /64s apart", () => {
    expect(addressKey("2001:db8:0:1::1")).not.toBe(addressKey("2001:db8:0:2::1"))
    expect(addressKey("2001:db8:1::1")).toBe("2001:db8:1::/64")
    expect(addressKey("2001:db9::1")).toBe("2001:db9::/64")
  })

  it("reads every spelling of one address as the same key", () => {
    const spellings = [
      "2001:db8:0:1::1",
      "2001:0db8:0000:0001:0000:0000:0000:0001",
      "2001:DB8:0:1:0:0:0:1",
      "2001:db8::1:0:0:0:1",
      "  2001:db8:0:1::1 ",
      "2001:db8:0:1::1%eth0",
    ]
    expect(new Set(spellings.map(addressKey))).toEqual(new Set(["2001:db8:0:1::/64"]))
  })

  it("expands `::` wherever it stands", () => {
    expect(addressKey("::1")).toBe("::/64")
    expect(addressKey("::")).toBe("::/64")
    expect(addressKey("fe80::1")).toBe("fe80::/64")
    expect(addressKey("1:2:3:4:5:6:7::")).toBe("1:2:3:4::/64")
    expect(addressKey("1:2:3::8")).toBe("1:2:3::/64")
    expect(addressKey("::4:5:6:7:8")).toBe("0:0:0:4::/64")
    expect(addressKey("1::5:6:7:8")).toBe("1::/64")
  })

  it("counts an IPv4-mapped IPv6 address as the IPv4 address, in either spelling", () => {
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7")
    expect(addressKey("::FFFF:cb00:7107")).toBe("203.0.113.7")
    expect(addressKey("0:0:0:0:0:ffff:203.0.113.7")).toBe("203.0.113.7")
  })

  it("reads another IPv4 tail as the last two groups of an IPv6 address", () => {
    expect(addressKey("2001:db8:0:1::203.0.113.7")).toBe("2001:db8:0:1::/64")
    expect(addressKey("64:ff9b::203.0.113.7")).toBe("64:ff9b::/64")
    expect(addressKey("1:2:3:4:5:6:203.0.113.7")).toBe("1:2:3:4::/64")
  })

  it("keeps what is not an IP address as its own key, never a /64 of something", () => {
    for (const text of [
      "unknown",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      "1::2:3:4:5:6:7:8",
      "12345::1",
      "g::1",
      "1:2:3:4:5:6:7",
      ":1:2:3:4:5:6:7",
      "::ffff:1.2.3.256",
      "::ffff:1.2.3",
      "1.2.3.4::1",
      "1:2:3:4:5:6:7:1.2.3.4",
    ])
      expect(addressKey(text)).toBe(text)
    expect(addressKey("Unknown")).toBe("unknown")
  })
})
