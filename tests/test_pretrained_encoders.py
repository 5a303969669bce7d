"""The shipped pretrained encoders (kinect20, ntu25, coco17 2D) start a small-data run of another class count
(`--init`), and refuse a model of the other dimensionality."""

from pathlib import Path

import pytest

from aclnet_core.errors import UserError
from aclnet_core.model.encoder import ACLNet
from aclnet_core.train.trainer import init_from_checkpoint

PRETRAINED = Path(__file__).resolve().parents[1] / "assets" / "models" / "pretrained"


@pytest.mark.parametrize("name, joints, channels, align", [
    ("mocap_kinect20_v1.pt", 20, 3, True),
    ("mocap_ntu25_v1.pt", 25, 3, True),
    ("mocap_coco17_v1.pt", 17, 2, False),
])
def test_encoder_initialises_a_ten_class_model_of_its_layout_only(name, joints, channels, align):
    encoder = PRETRAINED / name
    model = ACLNet(num_classes=10, num_joints=joints, in_channels=channels, preset="lite")
    state = model.state_dict()
    copied, meta = init_from_checkpoint(model, encoder)
    head = [k for k in state if state[k].shape[:1] == (10,) and k.startswith("fc")]
    assert meta.layout == name.split("_")[1] and meta.num_classes == 26 and meta.preprocess["align"] is align
    assert copied == len(state) - len(head) and head                       # everything but the new class head
    other = 5 - channels                                                     # 3D encoder vs 2D model and back
    with pytest.raises(UserError, match="cannot initialise"):
        init_from_checkpoint(ACLNet(num_classes=10, num_joints=joints, in_channels=other, preset="lite"), encoder)
