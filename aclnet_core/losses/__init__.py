"""ACLNet's training-time contrastive losses: inter-class affinity (superclasses) and intra-class margin.

Public API: `ACLConfig`, `ACLLoss` / `ACLLossOutput`, the two component losses and the superclass functions.
"""

from aclnet_core.losses.acl import ACLLoss, ACLLossOutput
from aclnet_core.losses.config import ACLConfig
from aclnet_core.losses.inter_affinity import InterAffinityLoss
from aclnet_core.losses.intra_margin import IntraMarginLoss, margin_contrastive_loss
from aclnet_core.losses.superclass import build_superclasses, pad_superclasses, temperatures, topk_neighbours

__all__ = ["ACLConfig", "ACLLoss", "ACLLossOutput", "InterAffinityLoss", "IntraMarginLoss", "build_superclasses",
           "margin_contrastive_loss", "pad_superclasses", "temperatures", "topk_neighbours"]
