"""Camera pipeline: frame sources (video file, images, camera URIs), one event per physical scan,
debounce by absence and by repeat window."""
import cv2
import numpy as np
import pytest

from drivers.camera import CameraScanner, ImageFrames, ScanEvent, open_frames
from drivers.camera.synth import ean13_frame
from drivers.uri import DeviceError

from camera_support import FALSEPOS

CODE = "3017620422003"
SIZE = (640, 480)


def write_video(path, frames, fps=30):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE, False)
    assert writer.isOpened()
    for f in frames:
        writer.write(f)
    writer.release()


@pytest.fixture(scope="module")
def on_off():
    return ean13_frame(CODE, size=SIZE, seed=3), ean13_frame(None, size=SIZE, seed=3)


def test_video_code_in_view_leaving_and_back_gives_two_events(tmp_path, on_off):
    on, off = on_off
    video = tmp_path / "caisse.mp4"
    write_video(video, [off] * 5 + [on] * 30 + [off] * 30 + [on] * 30 + [off] * 5)
    got = []
    scanner = CameraScanner(on_scan=got.append)
    events = list(scanner.scan(open_frames(f"camera://{video}")))
    assert [(e.symbology, e.data) for e in events] == [("EAN13", CODE)] * 2
    assert got == events
    assert [e.frame for e in events] == [5, 65]
    assert events[1].time == pytest.approx(65 / 30)
    assert scanner.frames == 100 and scanner.problems == []


def test_falsepositive_images_give_no_event():
    frames = ImageFrames(FALSEPOS, repeat=3)
    assert len(frames.paths) == 21
    scanner = CameraScanner(retry_every=3)  # the retries run once on each image (3 frames each)
    assert list(scanner.scan(frames)) == []
    assert scanner.frames == 63


def test_a_few_missed_frames_do_not_end_the_scan(on_off):
    on, off = on_off
    s = CameraScanner(absent_frames=4, repeat_window=0)
    seq = [on] * 5 + [off] * 3 + [on] * 5  # 3 blurred frames: the code is still in view
    events = [e for i, f in enumerate(seq) for e in s.feed(f, i / 30)]
    assert len(events) == 1
    assert s.in_view == [("EAN13", CODE)]


def test_repeat_window(on_off):
    on, off = on_off
    s = CameraScanner(absent_frames=2, repeat_window=0.5)
    t = 0.0
    def run(frames):
        nonlocal t
        out = []
        for f in frames:
            out += s.feed(f, t)
            t += 1 / 30
        return out
    assert len(run([on] * 5)) == 1
    assert run([off] * 6) == []          # left (2 frames), gone 0.2 s
    assert run([on] * 5) == []           # back within 0.5 s of last seen: same scan
    assert run([off] * 20) == []         # gone 0.67 s
    again = run([on] * 5)                # rescan after the window: counts again
    assert [(e.symbology, e.data) for e in again] == [("EAN13", CODE)]


def test_two_different_codes_in_view_are_two_events():
    frame = ean13_frame(CODE, size=(1280, 720), seed=4, at=(40, 40))
    other = ean13_frame("3560070048847", size=(1280, 720), seed=4, at=(400, 700))
    both = np.minimum(frame, other)
    s = CameraScanner()
    events = [e for i in range(10) for e in s.feed(both, i / 30)]
    assert sorted(e.data for e in events) == ["3017620422003", "3560070048847"]


def test_inverted_code_found_within_the_retry_budget(on_off):
    on, _ = on_off
    s = CameraScanner(retry_every=3)
    events = [e for i in range(6) for e in s.feed(255 - on, i / 30)]
    assert [(e.data, e.frame) for e in events] == [(CODE, 0)]


def test_image_folder_source_and_bad_files(tmp_path, on_off):
    on, off = on_off
    cv2.imwrite(str(tmp_path / "1.png"), off)
    cv2.imwrite(str(tmp_path / "2.png"), on)
    (tmp_path / "3.png").write_bytes(b"pas une image")
    cv2.imwrite(str(tmp_path / "4.png"), on)
    s = CameraScanner()
    events = list(s.scan(open_frames(f"camera://{tmp_path}")))
    assert [e.data for e in events] == [CODE]  # 2 and 4 are one scan: the bad file is no frame
    assert len(s.problems) == 1 and "3.png" in s.problems[0] and "image" in s.problems[0]


def test_events_from_colour_frames(on_off):
    on, _ = on_off
    s = CameraScanner()
    assert s.feed(cv2.cvtColor(on, cv2.COLOR_GRAY2BGR), 0.0) == [ScanEvent("EAN13", CODE, 0, 0.0)]


def test_bad_frames_are_reported_not_raised():
    s = CameraScanner()
    assert s.feed(np.zeros((10, 10), np.float64), 0.0) == []
    assert s.feed(np.zeros((0, 0), np.uint8), 0.1) == []
    assert s.problems and "illisible" in s.problems[0]


@pytest.mark.parametrize("uri,message", [
    ("camera://x", "caméra « x » invalide"),
    ("tcp://localhost:9100", "impossible ici"),
    ("camera:///nulle/part/video.mp4", "introuvable"),
    ("camera:///nulle/part/", "introuvable"),
])
def test_bad_camera_uris_in_french(uri, message):
    with pytest.raises(DeviceError, match=message):
        open_frames(uri)


def test_a_camera_that_is_not_there():
    with pytest.raises(DeviceError, match="caméra 99 : introuvable"):
        open_frames("camera://99")
