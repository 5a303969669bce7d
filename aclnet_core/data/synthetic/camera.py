"""Viewpoints and a pinhole camera that turns scene points into MediaPipe image and world landmarks.

Camera axes follow OpenCV and MediaPipe: x to the image right, y down, z away from the camera. The scene is y-up
(``kinematics.py``). ``azimuth`` is where the camera stands around the person: 0 in front of them, +90 at their
left side, ±180 behind. ``elevation`` > 0 puts the camera above, looking down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aclnet_core.data.synthetic.landmarks import L_HIP, R_HIP

AZIMUTH_LIMIT = 90.0  # action views span [-90, 90] degrees


@dataclass(frozen=True)
class View:
    """A sampled viewpoint, before it is fitted to a person (``fill`` sets the distance)."""

    azimuth: float  # degrees
    elevation: float  # degrees
    hfov: float  # horizontal field of view, degrees
    roll: float  # degrees, about the optical axis
    fill: float  # the standing person's height as a fraction of the image height
    centre: tuple[float, float]  # where the look-at point lands in the image (normalised x, y)
    target_height: float  # look-at point height as a fraction of the person's height

    def to_dict(self) -> dict:
        return {
            "azimuth": round(self.azimuth, 3),
            "elevation": round(self.elevation, 3),
            "hfov": round(self.hfov, 3),
            "roll": round(self.roll, 3),
            "fill": round(self.fill, 4),
            "centre": (round(self.centre[0], 4), round(self.centre[1], 4)),
            "target_height": round(self.target_height, 4),
        }


def sample_view(rng: np.random.Generator, azimuth_bands: tuple[tuple[float, float], ...] | None = None) -> View:
    """A webcam-like viewpoint; ``azimuth_bands`` restricts the azimuth to a union of [lo, hi) intervals."""
    if azimuth_bands:
        widths = np.array([hi - lo for lo, hi in azimuth_bands])
        k = rng.choice(len(azimuth_bands), p=widths / widths.sum())
        azimuth = float(rng.uniform(*azimuth_bands[k]))
    else:
        azimuth = float(rng.uniform(-AZIMUTH_LIMIT, AZIMUTH_LIMIT))
    tight = rng.random() < 0.08  # close camera: the lower legs leave the frame
    return View(
        azimuth=azimuth,
        elevation=float(rng.uniform(-8.0, 30.0)),
        hfov=float(rng.uniform(48.0, 78.0)),
        roll=float(rng.normal(0.0, 1.5)),
        fill=float(rng.uniform(1.05, 1.45) if tight else rng.uniform(0.45, 0.92)),
        centre=(float(rng.uniform(0.33, 0.67)), float(rng.uniform(0.42, 0.58))),
        target_height=float(rng.uniform(0.6, 0.7) if tight else rng.uniform(0.5, 0.58)),
    )


def _cross(a: np.ndarray, b) -> np.ndarray:
    """Cross product of two 3-vectors (np.cross is slow for single vectors)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation taking unit vector a to unit vector b."""
    axis = _cross(a, b)
    s, c = np.linalg.norm(axis), float(np.dot(a, b))
    if s < 1e-9:
        return np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


@dataclass
class Camera:
    """Pinhole camera in the scene: ``rotation`` maps scene vectors to camera axes."""

    rotation: np.ndarray  # (3, 3)
    position: np.ndarray  # (3,) scene metres
    focal: float  # pixels (square pixels)
    width: int
    height: int

    @classmethod
    def look_at(
        cls,
        target: np.ndarray,
        azimuth: float,
        elevation: float,
        distance: float,
        hfov: float,
        image_size: tuple[int, int],
        roll: float = 0.0,
        centre: tuple[float, float] = (0.5, 0.5),
    ) -> Camera:
        """A camera ``distance`` from ``target`` that shows the target at image point ``centre``."""
        width, height = image_size
        az, el = np.radians(azimuth), np.radians(elevation)
        position = target + distance * np.array([np.sin(az) * np.cos(el), np.sin(el), np.cos(az) * np.cos(el)])
        forward = (target - position) / distance
        right = _cross(forward, (0.0, 1.0, 0.0))
        right /= np.linalg.norm(right)
        down = _cross(forward, right)
        rot = np.stack([right, down, forward])
        focal = 0.5 * width / np.tan(np.radians(hfov) / 2)
        ray = np.array([(centre[0] - 0.5) * width / focal, (centre[1] - 0.5) * height / focal, 1.0])
        rot = _rotation_between(ray / np.linalg.norm(ray), np.array([0.0, 0.0, 1.0])).T @ rot
        r = np.radians(roll)
        roll_m = np.array([[np.cos(r), -np.sin(r), 0.0], [np.sin(r), np.cos(r), 0.0], [0.0, 0.0, 1.0]])
        return cls(roll_m @ rot, position, float(focal), width, height)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """(…, 3) scene -> camera axes, metres, camera at the origin."""
        flat = (points - self.position).reshape(-1, 3)
        return (flat @ self.rotation.T).reshape(points.shape)

    def project(self, cam_points: np.ndarray) -> np.ndarray:
        """(T, 33, 3) camera-space points -> MediaPipe image landmarks (x/W, y/H, hip-relative depth at x scale)."""
        return project(cam_points, np.full(cam_points.shape[0], self.focal), self.width, self.height)

    def world(self, cam_points: np.ndarray) -> np.ndarray:
        """(T, 33, 3) camera-space points -> MediaPipe world landmarks (hip-centred metres, camera axes)."""
        return hip_centred(cam_points)

    def to_dict(self) -> dict:
        return {
            "rotation": self.rotation.tolist(),
            "position": self.position.tolist(),
            "focal_px": round(self.focal, 2),
            "image_size": [self.width, self.height],
        }


def fit_distance(view: View, person_height: float, focal: float, image_height: int) -> float:
    """Camera distance at which a standing person of ``person_height`` fills ``view.fill`` of the image."""
    return focal * person_height / (view.fill * image_height)


def project(cam_points: np.ndarray, focal: np.ndarray, width: int, height: int) -> np.ndarray:
    """(N, 33, 3) camera-space points, (N,) focal lengths in pixels -> normalised image landmarks.

    x, y: pinhole projection divided by the image size; z: depth relative to the hip centre, scaled like x
    (MediaPipe's convention: "the magnitude of z uses roughly the same scale as x").
    """
    z = np.maximum(cam_points[..., 2], 0.05)
    f = focal[:, None]
    out = np.empty_like(cam_points)
    out[..., 0] = f * cam_points[..., 0] / (z * width) + 0.5
    out[..., 1] = f * cam_points[..., 1] / (z * height) + 0.5
    hip_z = 0.5 * (z[:, L_HIP] + z[:, R_HIP])[:, None]
    out[..., 2] = f * (z - hip_z) / (hip_z * width)
    return out


def hip_centred(cam_points: np.ndarray) -> np.ndarray:
    """(N, 33, 3) camera-space points -> MediaPipe world landmarks: the same axes, origin at the hip centre."""
    return cam_points - 0.5 * (cam_points[:, L_HIP] + cam_points[:, R_HIP])[:, None]
