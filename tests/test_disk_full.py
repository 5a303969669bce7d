"""A write that fails (disk full, quota, file-size limit) ends with one `error:` line and leaves no partial file.

The failure is real: the command runs in a child process whose file-size limit (RLIMIT_FSIZE, with SIGXFSZ
ignored) makes every write past a few kilobytes fail with an OSError, as a full disk does.
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
resource = pytest.importorskip("resource")

RUNNER = """
import resource, signal, sys
sys.path.insert(0, sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
import main
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
sys.exit(main.main(sys.argv[3:]))
"""


def run_limited(limit: int, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUNNER, str(ROOT), str(limit), *argv], capture_output=True,
                          text=True, timeout=300, check=False, env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin",
                               "PYTHONDONTWRITEBYTECODE": "1"})  # a short write would truncate .pyc files


@pytest.mark.parametrize("argv", [
    ["annotate", "--demo", "--max-frames", "20", "-o", "{out}/demo.mp4", "--json", "--no-progress"],
    ["export", str(ROOT / "assets" / "models" / "action.pt"), "--format", "checkpoint", "-o", "{out}/a.pt"],
])
def test_failed_write_is_one_line_and_leaves_nothing(tmp_path, argv):
    out = tmp_path / "out"
    out.mkdir()
    res = run_limited(4000, *[a.format(out=out) for a in argv])
    assert res.returncode == 2, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot write") and "Traceback" not in res.stderr
    assert list(out.iterdir()) == []
