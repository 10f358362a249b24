//! A `friscy:emulator/rootfs` provider component that carries the image
//! inside itself, written without a Rust compiler at pack time.
//!
//! The core module is generated with `wasm-encoder`: the image is one
//! passive data segment and `read` copies the requested range into linear
//! memory with `memory.init` (the optional OCI config JSON is a second
//! segment). `wit-component` turns a copy of that module whose image segment
//! is empty into a component against the `rootfs-provider` world; the image
//! bytes are then streamed into the data section of the component's core
//! module. So the image is held in memory once, and the output is a pure
//! function of the inputs (byte-reproducible).
//!
//! Linear memory layout: return area at [`RET`], error message at
//! [`ERR_AT`], results at [`BUF`] (grown on demand).

use std::io::Read;

use wasm_encoder::{
    BlockType, CodeSection, DataCountSection, ExportKind, ExportSection, Function, FunctionSection,
    Instruction as I, MemArg, MemorySection, MemoryType, Module, TypeSection, ValType,
};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::Resolve;

use crate::PackError;

/// The friscy WIT package (`wit/emulator.wit`).
pub const EMULATOR_WIT: &str = include_str!("../../wit/emulator.wit");

/// How the image bytes are laid out (`friscy:emulator/rootfs.image-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// A plain rootfs tar.
    Tar,
    /// friscy's runtime image format.
    Friscy,
}

impl ImageFormat {
    /// The enum's discriminant in the canonical ABI.
    fn discriminant(self) -> i32 {
        match self {
            ImageFormat::Tar => 0,
            ImageFormat::Friscy => 1,
        }
    }
}

/// The largest image a provider can embed: `memory.init` takes a 32-bit
/// source offset.
pub const MAX_IMAGE: u64 = u32::MAX as u64;

const RET: i32 = 16;
const ERR_AT: i32 = 64;
const BUF: i32 = 65536;
const ERR_MSG: &[u8] =
    b"read request too large for the embedded image's memory; read in smaller pieces";

const IMAGE_SEGMENT: u32 = 0;
const CONFIG_SEGMENT: u32 = 1;
const ERR_SEGMENT: u32 = 2;

const FUNC_INFO: u32 = 0;
const FUNC_READ: u32 = 1;
const FUNC_ENSURE: u32 = 2;

fn mem(offset: u64, align: u32) -> MemArg {
    MemArg {
        offset,
        align,
        memory_index: 0,
    }
}

/// Store an error result (`result::err(ERR_MSG)`) and return [`RET`].
fn return_error(f: &mut Function) {
    f.instruction(&I::I32Const(ERR_AT))
        .instruction(&I::I32Const(0))
        .instruction(&I::I32Const(ERR_MSG.len() as i32))
        .instruction(&I::MemoryInit {
            mem: 0,
            data_index: ERR_SEGMENT,
        })
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(1))
        .instruction(&I::I32Store8(mem(0, 0)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(ERR_AT))
        .instruction(&I::I32Store(mem(4, 2)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(ERR_MSG.len() as i32))
        .instruction(&I::I32Store(mem(8, 2)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::Return);
}

/// `ensure(need: i64) -> i32`: grow memory to at least `need` bytes;
/// 0 on success, -1 when memory cannot grow that far.
fn ensure_function() -> Function {
    let mut f = Function::new([]);
    let cur_bytes = |f: &mut Function| {
        f.instruction(&I::MemorySize(0))
            .instruction(&I::I64ExtendI32U)
            .instruction(&I::I64Const(16))
            .instruction(&I::I64Shl);
    };
    f.instruction(&I::LocalGet(0));
    cur_bytes(&mut f);
    f.instruction(&I::I64GtU)
        .instruction(&I::If(BlockType::Empty))
        .instruction(&I::LocalGet(0));
    cur_bytes(&mut f);
    f.instruction(&I::I64Sub)
        .instruction(&I::I64Const(65535))
        .instruction(&I::I64Add)
        .instruction(&I::I64Const(16))
        .instruction(&I::I64ShrU)
        .instruction(&I::I32WrapI64)
        .instruction(&I::MemoryGrow(0))
        .instruction(&I::I32Const(-1))
        .instruction(&I::I32Eq)
        .instruction(&I::If(BlockType::Empty))
        .instruction(&I::I32Const(-1))
        .instruction(&I::Return)
        .instruction(&I::End)
        .instruction(&I::End)
        .instruction(&I::I32Const(0))
        .instruction(&I::End);
    f
}

/// `info() -> i32` (pointer to `result<image-info, string>`).
fn info_function(size: u64, format: ImageFormat, config_len: Option<u32>) -> Function {
    let mut f = Function::new([]);
    if let Some(len) = config_len {
        f.instruction(&I::I64Const(i64::from(BUF) + i64::from(len)))
            .instruction(&I::Call(FUNC_ENSURE))
            .instruction(&I::If(BlockType::Empty));
        return_error(&mut f);
        f.instruction(&I::End)
            .instruction(&I::I32Const(BUF))
            .instruction(&I::I32Const(0))
            .instruction(&I::I32Const(len as i32))
            .instruction(&I::MemoryInit {
                mem: 0,
                data_index: CONFIG_SEGMENT,
            });
    }
    let (has, len) = match config_len {
        Some(len) => (1, len as i32),
        None => (0, 0),
    };
    // result tag @0, image-info @8: size @8, format @16, option tag @20,
    // string ptr @24, len @28.
    f.instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(0))
        .instruction(&I::I32Store8(mem(0, 0)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I64Const(size as i64))
        .instruction(&I::I64Store(mem(8, 3)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(format.discriminant()))
        .instruction(&I::I32Store8(mem(16, 0)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(has))
        .instruction(&I::I32Store8(mem(20, 0)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(BUF))
        .instruction(&I::I32Store(mem(24, 2)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(len))
        .instruction(&I::I32Store(mem(28, 2)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::End);
    f
}

/// `read(offset: i64, len: i32) -> i32` (pointer to `result<list<u8>, string>`).
fn read_function(size: u64) -> Function {
    let size = size as i64;
    // locals: 0 offset (i64), 1 len (i32), 2 n (i32)
    let mut f = Function::new([(1, ValType::I32)]);
    // n = offset >= size ? 0 : min(len, size - offset)
    f.instruction(&I::LocalGet(0))
        .instruction(&I::I64Const(size))
        .instruction(&I::I64GeU)
        .instruction(&I::If(BlockType::Result(ValType::I32)))
        .instruction(&I::I32Const(0))
        .instruction(&I::Else)
        .instruction(&I::LocalGet(1))
        .instruction(&I::I64ExtendI32U)
        .instruction(&I::I64Const(size))
        .instruction(&I::LocalGet(0))
        .instruction(&I::I64Sub)
        .instruction(&I::I64LtU)
        .instruction(&I::If(BlockType::Result(ValType::I32)))
        .instruction(&I::LocalGet(1))
        .instruction(&I::Else)
        .instruction(&I::I64Const(size))
        .instruction(&I::LocalGet(0))
        .instruction(&I::I64Sub)
        .instruction(&I::I32WrapI64)
        .instruction(&I::End)
        .instruction(&I::End)
        .instruction(&I::LocalSet(2));
    // room for the result
    f.instruction(&I::I64Const(i64::from(BUF)))
        .instruction(&I::LocalGet(2))
        .instruction(&I::I64ExtendI32U)
        .instruction(&I::I64Add)
        .instruction(&I::Call(FUNC_ENSURE))
        .instruction(&I::If(BlockType::Empty));
    return_error(&mut f);
    f.instruction(&I::End);
    // copy the range (memory.init bounds-checks its source even for 0 bytes)
    f.instruction(&I::LocalGet(2))
        .instruction(&I::If(BlockType::Empty))
        .instruction(&I::I32Const(BUF))
        .instruction(&I::LocalGet(0))
        .instruction(&I::I32WrapI64)
        .instruction(&I::LocalGet(2))
        .instruction(&I::MemoryInit {
            mem: 0,
            data_index: IMAGE_SEGMENT,
        })
        .instruction(&I::End);
    // ok(list): tag @0, ptr @4, len @8
    f.instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(0))
        .instruction(&I::I32Store8(mem(0, 0)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::I32Const(BUF))
        .instruction(&I::I32Store(mem(4, 2)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::LocalGet(2))
        .instruction(&I::I32Store(mem(8, 2)))
        .instruction(&I::I32Const(RET))
        .instruction(&I::End);
    f
}

fn leb128(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn leb128_len(value: u64) -> usize {
    let mut v = Vec::new();
    leb128(value, &mut v);
    v.len()
}

/// The data section: image (passive), config (passive), error message
/// (passive). Writes everything but the image bytes, which `fill` appends.
fn write_data_section(
    out: &mut Vec<u8>,
    image_len: u64,
    config: &[u8],
    fill: &mut dyn FnMut(&mut Vec<u8>) -> Result<(), PackError>,
) -> Result<(), PackError> {
    let segment = |len: u64| 1 + leb128_len(len) as u64 + len;
    let content =
        1 + segment(image_len) + segment(config.len() as u64) + segment(ERR_MSG.len() as u64);
    out.push(11);
    leb128(content, out);
    leb128(3, out);
    out.push(1); // passive
    leb128(image_len, out);
    fill(out)?;
    for bytes in [config, ERR_MSG] {
        out.push(1);
        leb128(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }
    Ok(())
}

/// The provider's core module minus its data section (which comes last).
fn module_without_data(size: u64, format: ImageFormat, config_len: Option<u32>) -> Vec<u8> {
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]); // 0: info
    types
        .ty()
        .function([ValType::I64, ValType::I32], [ValType::I32]); // 1: read
    types.ty().function([ValType::I64], [ValType::I32]); // 2: ensure
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    funcs.function(1);
    funcs.function(2);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 2,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut exports = ExportSection::new();
    exports.export("memory", ExportKind::Memory, 0);
    exports.export(
        "friscy:emulator/rootfs@0.1.0#info",
        ExportKind::Func,
        FUNC_INFO,
    );
    exports.export(
        "friscy:emulator/rootfs@0.1.0#read",
        ExportKind::Func,
        FUNC_READ,
    );
    let mut code = CodeSection::new();
    code.function(&info_function(size, format, config_len));
    code.function(&read_function(size));
    code.function(&ensure_function());

    let mut module = Module::new();
    module
        .section(&types)
        .section(&funcs)
        .section(&memories)
        .section(&exports)
        .section(&DataCountSection { count: 3 })
        .section(&code);
    module.finish()
}

/// A top-level section of a wasm binary (module or component).
struct Section {
    id: u8,
    /// Where the section starts (its id byte).
    start: usize,
    /// Where its contents start (after the size).
    content: usize,
    /// Where it ends.
    end: usize,
}

/// The top-level sections of a wasm binary.
fn sections(bytes: &[u8]) -> Result<Vec<Section>, PackError> {
    let bad = || PackError::Internal("malformed wasm while embedding the image".into());
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < bytes.len() {
        let start = pos;
        let id = bytes[pos];
        pos += 1;
        let mut size: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *bytes.get(pos).ok_or_else(bad)?;
            pos += 1;
            size |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
            if shift > 63 {
                return Err(bad());
            }
        }
        let end = usize::try_from(size)
            .ok()
            .and_then(|size| pos.checked_add(size))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(bad)?;
        out.push(Section {
            id,
            start,
            content: pos,
            end,
        });
        pos = end;
    }
    Ok(out)
}

/// Build the provider component for an image of `image_len` bytes read from
/// `image`, with the given format and optional OCI config JSON.
pub fn rootfs_provider(
    image: &mut dyn Read,
    image_len: u64,
    format: ImageFormat,
    config: Option<&str>,
) -> Result<Vec<u8>, PackError> {
    if image_len > MAX_IMAGE {
        return Err(PackError::ImageTooLarge(image_len));
    }
    let config_bytes = config.map(str::as_bytes).unwrap_or_default();
    let config_len = match config {
        Some(c) => Some(u32::try_from(c.len()).map_err(|_| PackError::ConfigTooLarge)?),
        None => None,
    };
    // The module with an empty image segment goes through wit-component.
    let mut placeholder = module_without_data(image_len, format, config_len);
    write_data_section(&mut placeholder, 0, config_bytes, &mut |_| Ok(()))?;
    let mut resolve = Resolve::default();
    let pkg = resolve
        .push_str("emulator.wit", EMULATOR_WIT)
        .map_err(|e| PackError::Internal(format!("parsing wit/emulator.wit: {e:#}")))?;
    let world = resolve
        .select_world(&[pkg], Some("rootfs-provider"))
        .map_err(|e| PackError::Internal(format!("{e:#}")))?;
    wit_component::embed_component_metadata(
        &mut placeholder,
        &resolve,
        world,
        StringEncoding::UTF8,
    )
    .map_err(|e| PackError::Internal(format!("{e:#}")))?;
    let shell = ComponentEncoder::default()
        .module(&placeholder)
        .and_then(|enc| enc.validate(true).encode())
        .map_err(|e| PackError::Internal(format!("componentizing the image provider: {e:#}")))?;

    // Find the one core module and its data section.
    let top = sections(&shell)?;
    let modules: Vec<_> = top.iter().filter(|s| s.id == 1).collect();
    let [module_section] = modules[..] else {
        return Err(PackError::Internal(format!(
            "expected one core module in the provider component, found {}",
            modules.len()
        )));
    };
    let module = &shell[module_section.content..module_section.end];
    let inner = sections(module)?;
    let datas: Vec<_> = inner.iter().filter(|s| s.id == 11).collect();
    let [data] = datas[..] else {
        return Err(PackError::Internal(
            "expected one data section in the provider module".into(),
        ));
    };

    // New module: prefix + data section with the image + suffix.
    let segment_overhead = |len: u64| 1 + leb128_len(len) as u64 + len;
    let data_content = 1
        + segment_overhead(image_len)
        + segment_overhead(config_bytes.len() as u64)
        + segment_overhead(ERR_MSG.len() as u64);
    let new_data_len = 1 + leb128_len(data_content) as u64 + data_content;
    let new_module_len = (module.len() - (data.end - data.start)) as u64 + new_data_len;
    let total = (shell.len() - (module_section.end - module_section.start)) as u64
        + 1
        + leb128_len(new_module_len) as u64
        + new_module_len;
    let mut out = Vec::new();
    out.try_reserve_exact(total as usize)
        .map_err(|_| PackError::OutOfMemory(total))?;
    out.extend_from_slice(&shell[..module_section.start]);
    out.push(1);
    leb128(new_module_len, &mut out);
    out.extend_from_slice(&module[..data.start]);
    write_data_section(&mut out, image_len, config_bytes, &mut |out| {
        let start = out.len();
        out.resize(start + image_len as usize, 0);
        image
            .read_exact(&mut out[start..])
            .map_err(|e| PackError::Io("reading the image".into(), e))
    })?;
    out.extend_from_slice(&module[data.end..]);
    out.extend_from_slice(&shell[module_section.end..]);
    debug_assert_eq!(out.len() as u64, total);
    Ok(out)
}
