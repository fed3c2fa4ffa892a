"""Reading evidence photos: EXIF place and time, doubtful values, bad files, ZIPs of photos."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from geozones.core.errors import InputError
from geozones.io import photos as P
from tests.io.photo_builders import ISTIQLAL, make_photo

W = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2024, 10, 11, 9, 0, tzinfo=W)


def test_istiqlal_jpeg_offers_place_and_time():
    data = make_photo()
    photo = P.read_photo(data, "istiqlal.jpg", now=NOW)
    assert photo.sha256 == hashlib.sha256(data).hexdigest() and photo.size == len(data)
    assert photo.media_type == "image/jpeg" and photo.extension == ".jpg" and (photo.width, photo.height) == (320, 240)
    assert photo.lon == pytest.approx(ISTIQLAL[0], abs=1e-6) and photo.lat == pytest.approx(ISTIQLAL[1], abs=1e-6)
    assert photo.accuracy_m == pytest.approx(8.0)
    assert photo.taken_at == dt.datetime(2024, 10, 10, 10, 0, tzinfo=W)
    assert photo.has_exif and not photo.time_offset_assumed and photo.notes == ()


def test_offset_is_converted_to_wib():
    photo = P.read_photo(make_photo(taken="2024:10:10 04:00:00", offset="+01:00"), "x.jpg", now=NOW)
    assert photo.taken_at == dt.datetime(2024, 10, 10, 10, 0, tzinfo=W)


def test_png_with_exif():
    photo = P.read_photo(make_photo(fmt="PNG", lon=106.8227, lat=-6.1754), "monas.png", now=NOW)
    assert photo.media_type == "image/png" and photo.lon == pytest.approx(106.8227, abs=1e-6)


def test_heic_is_read_when_pillow_heif_is_installed():
    # pillow-heif is pinned in requirements.txt, so CI always has it
    assert P.HEIC
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 0, 0)).save(buf, "HEIF")
    photo = P.read_photo(buf.getvalue(), "iphone.heic", now=NOW)
    assert photo.media_type == "image/heic" and photo.extension == ".heic" and photo.width == 64


def test_time_without_offset_is_read_as_wib_and_said_so():
    photo = P.read_photo(make_photo(offset=None), "x.jpg", now=NOW)
    assert photo.taken_at == dt.datetime(2024, 10, 10, 10, 0, tzinfo=W) and photo.time_offset_assumed
    assert any("dibaca sebagai WIB / " in n and "read as WIB" in n for n in photo.notes)
    assert photo.has_position  # the time note does not hide the position


def test_future_time_is_dropped_with_a_note():
    photo = P.read_photo(make_photo(taken="2025:03:01 10:00:00"), "x.jpg", now=NOW)
    assert photo.taken_at is None and photo.has_position
    assert any("masa depan" in n and "in the future" in n for n in photo.notes)


def test_zero_position_is_dropped_but_the_photo_kept():
    photo = P.read_photo(make_photo(lon=0.0, lat=0.0), "x.jpg", now=NOW)
    assert not photo.has_position and photo.taken_at is not None and photo.sha256
    assert any("0,0" in n and "no GPS fix" in n for n in photo.notes)


@pytest.mark.parametrize(("lon", "lat"), [(2.2945, 48.8584), (151.2153, -33.8568), (106.8311, 6.17)])
def test_position_outside_indonesia_is_dropped(lon, lat):
    photo = P.read_photo(make_photo(lon=lon, lat=lat), "x.jpg", now=NOW)
    assert not photo.has_position
    assert any("di luar Indonesia" in n and "outside Indonesia" in n for n in photo.notes)


def test_whatsapp_photo_without_exif_is_fine():
    photo = P.read_photo(make_photo(exif=False), "IMG-20241010-WA0007.jpg", now=NOW)
    assert not photo.has_exif and not photo.has_position and photo.taken_at is None
    assert any("WhatsApp" in n and "set the place by hand" in n for n in photo.notes)


@pytest.mark.parametrize(("data", "expect"), [
    (b"nama,lon,lat\nA,106.8,-6.1\n", "bukan gambar JPEG, PNG, HEIC (isinya teks / text)"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "dokumen PDF"),
    (b"", "berkas kosong / the file is empty"),
])
def test_not_an_image(data, expect):
    with pytest.raises(InputError) as err:
        P.read_photo(data, "bukti.jpg", now=NOW)
    assert expect in str(err.value) and str(err.value).startswith("bukti.jpg: ")


def test_truncated_jpeg_is_refused():
    data = make_photo(size=(640, 480))
    with pytest.raises(InputError, match=r"terpotong; kirim ulang .* / the image is truncated") as err:
        P.read_photo(data[: len(data) // 2], "potong.jpg", now=NOW)
    assert err.value.problems[0].source == "potong.jpg"


def test_truncated_jpeg_is_refused_even_after_weasyprint_loosened_pillow():
    import weasyprint  # noqa: F401  (sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True on import)
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    data = make_photo(size=(640, 480))
    for cut in (len(data) // 2, len(data) - 2):
        with pytest.raises(InputError, match="the image is truncated"):
            P.read_photo(data[:cut], "potong.jpg", now=NOW)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for whoever set it


def test_other_image_formats_are_refused():
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "GIF")
    with pytest.raises(InputError, match="GIF images are not accepted"):
        P.read_photo(buf.getvalue(), "x.gif", now=NOW)


def _zip(tmp_path, members: dict[str, bytes]):
    path = tmp_path / "foto.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_of_photos(tmp_path):
    path = _zip(tmp_path, {"patroli/a.jpg": make_photo(label="A"), "patroli/b.png": make_photo(fmt="PNG"),
                           "__MACOSX/patroli/._a.jpg": b"junk", "patroli/.DS_Store": b"junk",
                           "patroli/wa.jpg": make_photo(exif=False)})
    photos = P.read_photo_zip(path, now=NOW)
    assert [p.name for p in photos] == ["patroli/a.jpg", "patroli/b.png", "patroli/wa.jpg"]
    assert [p.has_position for p in photos] == [True, True, False]


def test_zip_refuses_escaping_paths(tmp_path):
    path = _zip(tmp_path, {"ok.jpg": make_photo(), "../../etc/cron.d/x.jpg": make_photo()})
    with pytest.raises(InputError, match=r"menunjuk ke luar folder arsip; ditolak / .* points outside"):
        P.read_photo_zip(path, now=NOW)
    path = _zip(tmp_path, {"/abs/x.jpg": make_photo()})
    with pytest.raises(InputError, match="points outside"):
        P.read_photo_zip(path, now=NOW)


def test_zip_lists_every_bad_member_and_keeps_nothing(tmp_path):
    good = make_photo()
    path = _zip(tmp_path, {"a.jpg": good, "b.jpg": good[:300], "c.txt": b"hello"})
    with pytest.raises(InputError) as err:
        P.read_photo_zip(path, now=NOW)
    rows = [p.row for p in err.value.problems]
    assert rows == ["b.jpg", "c.txt"] and all(p.source == str(path) for p in err.value.problems)


def test_zip_bounds(tmp_path):
    path = _zip(tmp_path, {f"{i}.jpg": make_photo() for i in range(3)})
    with pytest.raises(InputError, match="the limit is 2"):
        P.read_photo_zip(path, now=NOW, max_members=2)
    with pytest.raises(InputError, match="unpacks to more than"):
        P.read_photo_zip(path, now=NOW, max_bytes=1000)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.jpg", b"\0" * (P.MAX_PHOTO_BYTES + 1))
    with pytest.raises(InputError, match="larger than"):
        P.read_photo_zip(bomb, now=NOW)
    empty = _zip(tmp_path, {"__MACOSX/x": b"1"})
    with pytest.raises(InputError, match="holds no photo"):
        P.read_photo_zip(empty, now=NOW)
    (tmp_path / "not.zip").write_bytes(b"plain")
    with pytest.raises(InputError, match="not a readable ZIP"):
        P.read_photo_zip(tmp_path / "not.zip", now=NOW)


def test_public_copy_has_no_exif():
    photo = P.read_photo(make_photo(size=(800, 600)), "x.jpg", now=NOW)
    copy = P.without_exif(photo, max_side=400)
    with Image.open(io.BytesIO(copy)) as img:
        assert not img.getexif() and max(img.size) == 400
    again = P.read_photo(copy, "copy.jpg", now=NOW)
    assert not again.has_exif and not again.has_position and again.taken_at is None
