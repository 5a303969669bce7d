"""Every config in configs/ loads and passes the range checks; files it names (an --init encoder) are shipped."""
from pathlib import Path

import pytest

from aclnet_core.train.config import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


def test_configs_exist() -> None:
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_config_loads(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.name
    if cfg.init_from:
        assert (ROOT / cfg.init_from).is_file(), f"{path.name} starts from a file the repository lacks"


def test_nwucla_recipe_matches_its_documented_differences() -> None:
    """configs/nwucla_lite_ema_ls.yaml is nwucla_lite_j.yaml plus the issue-15 changes and nothing else."""
    first = load_config(ROOT / "configs" / "nwucla_lite_j.yaml")
    recipe = load_config(ROOT / "configs" / "nwucla_lite_ema_ls.yaml")
    changed = load_config(ROOT / "configs" / "nwucla_lite_j.yaml",
                          ["name=nwucla_lite_ema_ls", "preprocess.align=false", "augment.rotate=0.5",
                           "optim.ema=0.998", "optim.label_smoothing=0.1"])
    assert recipe == changed
    assert recipe != first
