"""What the benchmarks share: reading the machine, and writing a section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path


def cpu_and_memory() -> tuple[str, str]:
    """The CPU model and the RAM, from /proc ("unknown" where it cannot be read)."""
    cpu = memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return cpu, memory


def write_section(doc: Path, heading: str, section: str) -> None:
    """Replace the section of ``doc`` that starts with ``heading`` (up to the next ``## ``), keeping the rest."""
    existing = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n"
    start = existing.find(heading + "\n")
    if start < 0:
        updated = existing.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        following = existing.find("\n## ", start + len(heading))
        rest = existing[following + 1 :] if following >= 0 else ""
        updated = existing[:start] + section.rstrip("\n") + "\n" + ("\n" + rest if rest else "")
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(updated, encoding="utf-8")
