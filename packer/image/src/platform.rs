//! `OS/ARCH[/VARIANT]` platforms, as `docker --platform` spells them.

use std::fmt;
use std::str::FromStr;

use crate::error::ImageError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// What friscy runs.
    pub fn riscv64() -> Platform {
        Platform {
            os: "linux".into(),
            architecture: "riscv64".into(),
            variant: None,
        }
    }

    /// From an OCI descriptor's or config's fields.
    pub fn from_parts(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        Platform {
            os: os.to_string(),
            architecture: normalize_arch(arch).to_string(),
            variant: variant.filter(|v| !v.is_empty()).map(str::to_string),
        }
    }

    /// Does an image of platform `have` satisfy a request for `self`? A
    /// request without a variant accepts any variant.
    pub fn accepts(&self, have: &Platform) -> bool {
        self.os == have.os
            && self.architecture == have.architecture
            && match &self.variant {
                None => true,
                Some(v) => have.variant.as_deref() == Some(v.as_str()),
            }
    }
}

/// Architecture aliases as Docker normalises them.
fn normalize_arch(arch: &str) -> &str {
    match arch {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "riscv64gc" => "riscv64",
        a => a,
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = ImageError;
    fn from_str(s: &str) -> Result<Platform, ImageError> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Platform::from_parts(os, arch, None)),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => {
                Ok(Platform::from_parts(os, arch, Some(v)))
            }
            _ => Err(ImageError::BadPlatform(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_matches() {
        let p: Platform = "linux/riscv64".parse().unwrap();
        assert_eq!(p, Platform::riscv64());
        assert_eq!(p.to_string(), "linux/riscv64");
        let v: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(v.variant.as_deref(), Some("v8"));
        assert!(p.accepts(&Platform::from_parts("linux", "riscv64", Some("rva23"))));
        assert!(!v.accepts(&Platform::from_parts("linux", "arm64", None)));
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux/riscv64/a/b".parse::<Platform>().is_err());
        assert_eq!(
            Platform::from_parts("linux", "x86_64", None).to_string(),
            "linux/amd64"
        );
    }
}
