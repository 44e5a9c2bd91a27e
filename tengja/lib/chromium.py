"""How Tengja runs Chromium: the browser tests, the screenshots and the
benchmarks all launch Debian's Chromium (never a downloaded one) with these flags.

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
"""

import os

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# For video: a fake camera and microphone, granted without asking, and WebRTC
# allowed over loopback (the only network a test machine may have).
MEDIA_FLAGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
