"""Side panels of the main window: top-k scores, timeline, gallery, statistics."""

from app.gui.panels.gallery import GalleryPanel
from app.gui.panels.scores import ScoresPanel
from app.gui.panels.stats import StatsPanel
from app.gui.panels.timeline import TimelinePanel

__all__ = ["GalleryPanel", "ScoresPanel", "StatsPanel", "TimelinePanel"]
