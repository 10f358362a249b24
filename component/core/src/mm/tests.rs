use super::*;

const RW: Prot = Prot::READ.union(Prot::WRITE);

fn space(limit: u64) -> AddressSpace {
    AddressSpace::new(MemoryBudget::new(limit))
}

#[test]
fn map_read_write_unmap() {
    let mut s = space(1 << 20);
    s.map_anon(0x10000, 0x3000, RW).unwrap();
    assert!(s.is_mapped(0x10000, 0x3000));
    assert!(!s.is_mapped(0x10000, 0x3001));
    assert_eq!(s.read_u64(0x10008).unwrap(), 0); // zero page, nothing charged
    assert_eq!(s.budget().used(), 0);
    assert_eq!(s.resident_bytes(), 0);
    s.write_u64(0x10008, 0xdead_beef).unwrap();
    assert_eq!(s.read_u64(0x10008).unwrap(), 0xdead_beef);
    assert_eq!(s.budget().used(), PAGE_SIZE);
    assert_eq!(s.resident_bytes(), PAGE_SIZE);
    // unaligned, page-crossing copy
    let data: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    s.write(0x10ff0, &data).unwrap();
    let mut back = vec![0; 5000];
    s.read(0x10ff0, &mut back).unwrap();
    assert_eq!(back, data);
    assert_eq!(
        s.read_u32(0x10ffe).unwrap(),
        u32::from_le_bytes([14, 15, 16, 17])
    );
    // unmap the middle page: reads fault there (unmapped), neighbours survive
    s.unmap(0x11000, 0x1000);
    assert_eq!(
        s.read_u8(0x11000),
        Err(MemFault {
            addr: 0x11000,
            kind: AccessKind::Read,
            unmapped: true
        })
    );
    assert_eq!(s.read_u8(0x10ff0).unwrap(), 0);
    assert_eq!(s.budget().used(), 2 * PAGE_SIZE);
    // remap gives zeros again
    s.map_anon(0x11000, 0x1000, RW).unwrap();
    assert_eq!(s.read_u64(0x11000).unwrap(), 0);
    drop(s);
}

#[test]
fn budget_is_refunded_on_drop() {
    let b = MemoryBudget::new(1 << 20);
    {
        let mut s = AddressSpace::new(b.clone());
        s.map_anon(0x10000, 0x4000, RW).unwrap();
        s.write(0x10000, &[1; 0x4000]).unwrap();
        assert_eq!(b.used(), 4 * PAGE_SIZE);
        s.unmap(0x10000, 0x1000);
        assert_eq!(b.used(), 3 * PAGE_SIZE);
    }
    assert_eq!(b.used(), 0);
}

#[test]
fn protection_and_faults() {
    let mut s = space(1 << 20);
    s.map_anon(0x10000, 0x2000, Prot::READ).unwrap();
    let f = s.write_u8(0x10001, 1).unwrap_err();
    assert_eq!(
        (f.addr, f.kind, f.unmapped),
        (0x10001, AccessKind::Write, false)
    );
    // the loader can still write
    s.write_force(0x10000, b"hi").unwrap();
    assert_eq!(s.read_u8(0x10001).unwrap(), b'i');
    // Fill the TLB, then revoke READ: must fault (TLB invalidated).
    assert_eq!(s.read_u8(0x10000).unwrap(), b'h');
    s.protect(0x10000, 0x1000, Prot::empty()).unwrap();
    let f = s.read_u8(0x10000).unwrap_err();
    assert!(!f.unmapped);
    assert_eq!(s.prot_at(0x10000), Some(Prot::empty()));
    assert_eq!(s.prot_at(0x11000), Some(Prot::READ));
    // Grant WRITE after a read-only TLB fill.
    s.protect(0x11000, 0x1000, RW).unwrap();
    s.write_u8(0x11000, 5).unwrap();
    s.protect(0x11000, 0x1000, Prot::READ).unwrap();
    assert!(s.write_u8(0x11000, 6).is_err());
    assert_eq!(s.read_u8(0x11000).unwrap(), 5);
    // protect over a hole fails with the hole's address
    assert_eq!(
        s.protect(0x10000, 0x3000, RW),
        Err(MmError::Unmapped { addr: 0x12000 })
    );
    // Copies that fault write nothing.
    s.map_anon(0x20000, 0x1000, RW).unwrap();
    s.map_anon(0x21000, 0x1000, Prot::READ).unwrap();
    let f = s.write(0x20ffe, &[9, 9, 9, 9]).unwrap_err();
    assert_eq!(f.addr, 0x21000);
    assert_eq!(s.read_u8(0x20ffe).unwrap(), 0);
    // bad arguments
    assert_eq!(s.map_anon(0x1001, 0x1000, RW), Err(MmError::Invalid));
    assert_eq!(
        s.map_anon(VA_LIMIT - 0x1000, 0x2000, RW),
        Err(MmError::Invalid)
    );
    assert_eq!(s.map_anon(0x1000, 0, RW), Err(MmError::Invalid));
    // high addresses just fault
    assert!(s.read_u64(u64::MAX - 3).is_err());
    assert!(s.write_u64(1 << 60, 0).is_err());
}

#[test]
fn regions_split_and_merge() {
    let mut s = space(1 << 20);
    s.map_anon(0x10000, 0x10000, RW).unwrap();
    s.protect(0x14000, 0x2000, Prot::READ).unwrap();
    assert_eq!(
        s.mappings(),
        vec![
            (0x10000, 0x14000, RW),
            (0x14000, 0x16000, Prot::READ),
            (0x16000, 0x20000, RW)
        ]
    );
    s.protect(0x14000, 0x2000, RW).unwrap();
    assert_eq!(s.mappings(), vec![(0x10000, 0x20000, RW)]);
    s.unmap(0x12000, 0x1000);
    assert_eq!(s.mappings().len(), 2);
    assert!(!s.is_mapped(0x10000, 0x10000));
    // unaligned unmap rounds out
    s.unmap(0x13001, 10);
    assert!(!s.is_mapped(0x13000, 1));
}

#[test]
fn find_free_gaps() {
    let mut s = space(1 << 20);
    s.set_mmap_base(0x4000_0000);
    // Top-down below the base.
    let a = s.find_free(0, 0x3000).unwrap();
    assert_eq!(a, 0x4000_0000 - 0x3000);
    s.map_anon(a, 0x3000, RW).unwrap();
    let b = s.find_free(0, 0x1000).unwrap();
    assert_eq!(b, a - 0x1000);
    // Hints: lowest gap at or above.
    s.map_anon(0x100_0000, 0x2000, RW).unwrap();
    assert_eq!(s.find_free(0x100_0000, 0x1000), Some(0x100_2000));
    assert_eq!(s.find_free(0x100_1234, 0x1000), Some(0x100_2000));
    assert_eq!(s.find_free(0x200_0000, 0x1000), Some(0x200_0000));
    // A hole between mappings that fits exactly.
    s.map_anon(0x100_3000, 0x1000, RW).unwrap();
    assert_eq!(s.find_free(0x100_0000, 0x1000), Some(0x100_2000));
    assert_eq!(s.find_free(0x100_0000, 0x2000), Some(0x100_4000));
    // Too big, or a hint near the top of the space.
    assert_eq!(s.find_free(0, VA_LIMIT), None);
    let near_top = s.find_free(VA_LIMIT - 0x1000, 0x1000);
    assert_eq!(near_top, Some(VA_LIMIT - 0x1000));
    assert!(s.find_free(VA_LIMIT - 0x1000, 0x2000).is_some());
    // Never below mmap_min_addr.
    let mut t = space(1 << 20);
    t.set_mmap_base(0x20000);
    let r = t.find_free(0, 0x10000).unwrap();
    assert!(r >= MMAP_MIN_ADDR);
    assert!(t.find_free(0, 0x20000).unwrap() >= 0x20000);
}

#[test]
fn cow_fork_isolation() {
    let b = MemoryBudget::new(1 << 20);
    let mut parent = AddressSpace::new(b.clone());
    parent.map_anon(0x10000, 0x2000, RW).unwrap();
    parent.write_u64(0x10000, 1).unwrap();
    parent.write_u64(0x11000, 2).unwrap();
    assert_eq!(b.used(), 2 * PAGE_SIZE);
    let mut child = parent.fork();
    assert_eq!(b.used(), 2 * PAGE_SIZE); // shared
    assert_eq!(child.read_u64(0x10000).unwrap(), 1);
    child.write_u64(0x10000, 10).unwrap(); // copy
    assert_eq!(b.used(), 3 * PAGE_SIZE);
    assert_eq!(parent.read_u64(0x10000).unwrap(), 1);
    parent.write_u64(0x10000, 100).unwrap(); // now unique again: no copy
    assert_eq!(b.used(), 3 * PAGE_SIZE);
    assert_eq!(child.read_u64(0x10000).unwrap(), 10);
    parent.write_u64(0x11000, 20).unwrap(); // parent copies page 2
    assert_eq!(child.read_u64(0x11000).unwrap(), 2);
    assert_eq!(parent.read_u64(0x11000).unwrap(), 20);
    // untouched mappings stay lazy in both
    parent.map_anon(0x20000, 0x1000, RW).unwrap();
    let mut c2 = parent.fork();
    c2.write_u8(0x20000, 1).unwrap();
    assert_eq!(parent.read_u8(0x20000).unwrap(), 0);
    // rmw respects COW too
    c2.rmw_u64(0x10000, |v| Some(v + 1)).unwrap();
    assert_eq!(parent.read_u64(0x10000).unwrap(), 100);
    assert_eq!(c2.read_u64(0x10000).unwrap(), 101);
    drop(child);
    drop(c2);
    drop(parent);
    assert_eq!(b.used(), 0);
}

#[test]
fn budget_exhaustion_is_a_fault_not_a_panic() {
    let mut s = space(3 * PAGE_SIZE);
    // A huge reservation is free.
    s.map_anon(0x1000_0000, 1 << 40, RW).unwrap();
    for i in 0..3 {
        s.write_u8(0x1000_0000 + i * PAGE_SIZE, 1).unwrap();
    }
    let f = s.write_u8(0x1000_0000 + 3 * PAGE_SIZE, 1).unwrap_err();
    assert_eq!(f.kind, AccessKind::Write);
    assert!(s.take_oom());
    assert!(!s.take_oom());
    // COW copy also hits the budget.
    let mut child = s.fork();
    assert!(child.write_u8(0x1000_0000, 2).is_err());
    assert!(child.take_oom());
    // Freeing memory makes room again.
    s.unmap(0x1000_0000, PAGE_SIZE);
    drop(child);
    s.write_u8(0x1000_0000 + 5 * PAGE_SIZE, 1).unwrap();
    // kernel copies fail cleanly too
    assert!(s.write(0x1000_0000 + 9 * PAGE_SIZE, &[1; 10]).is_err());
}

#[test]
fn read_cstr_limits() {
    let mut s = space(1 << 20);
    s.map_anon(0x10000, 0x1000, RW).unwrap();
    s.write(0x10ffa, b"hello\0").unwrap();
    assert_eq!(s.read_cstr(0x10ffa, 100).unwrap(), b"hello");
    assert_eq!(s.read_cstr(0x10ffa, 3).unwrap(), b"hel");
    s.write(0x10ffa, b"hellox").unwrap();
    // runs into the unmapped next page
    assert!(s.read_cstr(0x10ffa, 100).is_err());
    assert_eq!(s.read_cstr(0x10ffa, 6).unwrap(), b"hellox");
}

#[test]
fn rmw_and_misaligned_atomics() {
    let mut s = space(1 << 20);
    s.map_anon(0x10000, 0x1000, RW).unwrap();
    assert_eq!(s.rmw_u32(0x10004, |v| Some(v + 5)).unwrap(), 0);
    assert_eq!(s.read_u32(0x10004).unwrap(), 5);
    assert_eq!(s.rmw_u32(0x10004, |_| None).unwrap(), 5);
    assert!(s.rmw_u32(0x10002, Some).is_err());
    assert!(s.rmw_u64(0x10004, Some).is_err());
    s.protect(0x10000, 0x1000, Prot::READ).unwrap();
    let f = s.rmw_u32(0x10004, Some).unwrap_err();
    assert_eq!(f.kind, AccessKind::Write);
}

#[test]
fn many_pages_and_tlb_conflicts() {
    // Pages that collide in the direct-mapped TLB keep their own contents.
    let mut s = space(64 << 20);
    let stride = (TLB_SIZE as u64) * PAGE_SIZE;
    for i in 0..8u64 {
        let a = 0x100_0000 + i * stride;
        s.map_anon(a, PAGE_SIZE, RW).unwrap();
        s.write_u64(a + 8, i).unwrap();
    }
    for i in 0..8u64 {
        assert_eq!(s.read_u64(0x100_0000 + i * stride + 8).unwrap(), i);
    }
}

#[test]
fn discard_zeroes_private_anonymous_pages_only() {
    let mut s = space(1 << 24);
    let base = 0x10_0000;
    s.map_anon(base, 4 * 4096, Prot::READ | Prot::WRITE)
        .unwrap();
    for i in 0..4 {
        s.write_u64(base + i * 4096, 0x1111 * (i + 1)).unwrap();
    }
    // Page 1: anonymous; page 2: shared; page 3: a private file mapping.
    s.share(base + 2 * 4096, 4096).unwrap();
    s.mark_file_private(base + 3 * 4096, 4096).unwrap();
    let before = s.resident_bytes();
    s.discard(base + 4096, 3 * 4096).unwrap();
    assert_eq!(s.read_u64(base).unwrap(), 0x1111, "outside the range");
    assert_eq!(s.read_u64(base + 4096).unwrap(), 0, "anonymous: zeroed");
    assert_eq!(s.read_u64(base + 2 * 4096).unwrap(), 0x3333, "shared: kept");
    assert_eq!(s.read_u64(base + 3 * 4096).unwrap(), 0x4444, "file: kept");
    assert!(
        s.resident_bytes() < before,
        "the dropped page is given back"
    );
    // The page is usable again, and a hole in the range is an error
    // (madvise's ENOMEM), with nothing dropped.
    s.write_u64(base + 4096, 5).unwrap();
    s.unmap(base + 3 * 4096, 4096);
    assert!(matches!(
        s.discard(base, 4 * 4096),
        Err(MmError::Unmapped { addr }) if addr == base + 3 * 4096
    ));
    assert_eq!(s.read_u64(base).unwrap(), 0x1111);
    assert_eq!(s.read_u64(base + 4096).unwrap(), 5);
}
