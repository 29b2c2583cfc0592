//! Whether this machine can hold a town. The world lives in memory while it is simulated, so a
//! population too large for the machine would end in the allocator aborting the process, with
//! nothing said; [`check`] turns that into a diagnostic before anything starts. Reads the
//! kernel's figures (`/proc`, cgroups), never allocates to find out.

use std::path::Path;

/// Memory a simulated inhabitant takes with everything around it (households, addresses,
/// customers, members, meters, the day's rows), measured on the example town with room to spare.
pub const BYTES_PER_INHABITANT: u64 = 4 << 10;
/// What the process takes before the first inhabitant: the engine, buffers, the day's tables.
const BASE_BYTES: u64 = 256 << 20;

/// Memory a town of `population` inhabitants needs, roughly.
pub fn needed(population: u32) -> u64 {
    BASE_BYTES + u64::from(population) * BYTES_PER_INHABITANT
}

/// Memory this process may still take: the least of the memory the kernel reports available,
/// the room left under the cgroup's limit and under the process's address-space and data limits.
/// `None` when the system says nothing (not Linux).
pub fn available() -> Option<u64> {
    let kernel = read(Path::new("/proc/meminfo"))
        .and_then(|text| field_kib(&text, "MemAvailable:"))
        .map(|kib| kib * 1024);
    let cgroup_v2 = read(Path::new("/sys/fs/cgroup/memory.max"))
        .and_then(|max| max.trim().parse::<u64>().ok())
        .map(|max| {
            let used = read(Path::new("/sys/fs/cgroup/memory.current"))
                .and_then(|text| text.trim().parse::<u64>().ok())
                .unwrap_or(0);
            max.saturating_sub(used)
        });
    let cgroup_v1 = read(Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
        .and_then(|max| max.trim().parse::<u64>().ok())
        .map(|max| {
            let used = read(Path::new("/sys/fs/cgroup/memory/memory.usage_in_bytes"))
                .and_then(|text| text.trim().parse::<u64>().ok())
                .unwrap_or(0);
            max.saturating_sub(used)
        });
    let status = read(Path::new("/proc/self/status"));
    let limits = read(Path::new("/proc/self/limits"));
    let limit = |name: &str, field: &str| {
        let max = limits.as_deref().and_then(|text| soft_limit(text, name))?;
        let used = status
            .as_deref()
            .and_then(|text| field_kib(text, field))
            .unwrap_or(0)
            * 1024;
        Some(max.saturating_sub(used))
    };
    [
        kernel,
        cgroup_v2,
        cgroup_v1,
        limit("Max address space", "VmSize:"),
        limit("Max data size", "VmData:"),
    ]
    .into_iter()
    .flatten()
    .min()
}

/// The largest population that fits in `available` bytes.
pub fn population_that_fits(available: u64) -> u64 {
    available.saturating_sub(BASE_BYTES) / BYTES_PER_INHABITANT
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// A `Name:   1234 kB` line of `/proc/meminfo` or `/proc/self/status`, in KiB.
fn field_kib(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The soft limit of a `/proc/self/limits` row, in bytes; `None` when unlimited.
fn soft_limit(text: &str, name: &str) -> Option<u64> {
    let row = text.lines().find(|line| line.starts_with(name))?;
    row[name.len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernel_figures() {
        let meminfo = "MemTotal:       24000000 kB\nMemAvailable:   19000000 kB\n";
        assert_eq!(field_kib(meminfo, "MemAvailable:"), Some(19_000_000));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max data size             unlimited            unlimited            bytes\n\
                      Max address space         4294967296           unlimited            bytes\n";
        assert_eq!(soft_limit(limits, "Max data size"), None);
        assert_eq!(soft_limit(limits, "Max address space"), Some(4 << 30));
    }

    #[test]
    fn a_town_of_twenty_million_needs_tens_of_gigabytes() {
        assert!(needed(20_000_000) > 64 << 30);
        assert_eq!(population_that_fits(needed(20_000)), 20_000);
    }
}
