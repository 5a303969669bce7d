"""MediaPipe Tasks pose-landmarker bundles (lite, full); see README.md and NOTICE here."""
