#!/usr/bin/python3
"""cam_clip_rtsp.py FILE PORTFILE: serve an MP4 file's H.264 over RTSP at
rtsp://127.0.0.1:<port>/cam with gst-rtsp-server (Debian: python3-gi,
gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good/-bad), in real time,
for test_cam_clip.sh. Writes the port to PORTFILE once it listens.
Run with Debian's /usr/bin/python3 (the gi bindings live there)."""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

path, portfile = sys.argv[1], sys.argv[2]
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service("0")
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch("( filesrc location=%s ! qtdemux ! h264parse ! "
                   "rtph264pay name=pay0 pt=96 config-interval=1 )" % path)
factory.set_shared(True)
server.get_mount_points().add_factory("/cam", factory)
server.attach(None)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.get_bound_port()))
os.rename(portfile + ".tmp", portfile)
GLib.MainLoop().run()
