"""The shipped kinect20 pretrained encoder starts a small-data run of another class count (`--init`)."""

from pathlib import Path

import pytest

from aclnet_core.errors import UserError
from aclnet_core.model.encoder import ACLNet
from aclnet_core.train.trainer import init_from_checkpoint

ENCODER = Path(__file__).resolve().parents[1] / "assets" / "models" / "pretrained" / "mocap_kinect20_v1.pt"


def test_kinect20_encoder_initialises_a_ten_class_model_but_not_a_2d_one():
    model = ACLNet(num_classes=10, num_joints=20, in_channels=3, preset="lite")
    state = model.state_dict()
    copied, meta = init_from_checkpoint(model, ENCODER)
    head = [k for k in state if state[k].shape[:1] == (10,) and k.startswith("fc")]
    assert meta.layout == "kinect20" and meta.num_classes == 26 and meta.preprocess["align"] is True
    assert copied == len(state) - len(head) and head                       # everything but the new class head
    with pytest.raises(UserError, match="cannot initialise"):
        init_from_checkpoint(ACLNet(num_classes=10, num_joints=20, in_channels=2, preset="lite"), ENCODER)
