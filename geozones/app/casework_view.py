"""What the Bawaslu pages share: the store, who is acting, "now", and their words in both languages.

Pages only show what services return; every refusal comes from the services
(:mod:`geozones.services.authz`), so hiding a page is never the protection.
"""

from __future__ import annotations

import datetime as dt

from geozones.app.state import lang
from geozones.core.errors import InputError
from geozones.services.authz import PUBLIC, Principal

__all__ = ["COLUMNS", "STATE_COLORS", "T", "column_labels", "now", "principal", "state_legend", "state_text",
           "store", "tr", "verdict_text"]

#: Map colours of case states (open: warm, waiting on others: blue, finished: grey/green).
STATE_COLORS = {"informasi_awal": "#f0ad4e", "temuan": "#d9534f", "laporan": "#d9534f", "registered": "#c9302c",
                "under_study": "#a94442", "recommended": "#8e44ad", "ordered": "#2c3e90",
                "compliance_check": "#1f78b4", "referred": "#6a3d9a", "removed": "#33a02c", "closed": "#7f7f7f",
                "dismissed": "#bdbdbd", "not_registered": "#bdbdbd"}

T = {
    "nav.report": ("Lapor APK", "Report an APK"),
    "nav.cases": ("Kasus", "Cases"),
    "nav.dashboard": ("Dasbor Bawaslu", "Bawaslu dashboard"),
    "report.title": ("Laporkan APK", "Report an APK"),
    "report.public": ("Anda belum masuk: laporan disimpan sebagai *informasi awal* untuk Bawaslu. Setelah dikirim "
                      "Anda hanya menerima nomor tanda terima; laporan dan kasus tidak dapat dilihat publik.",
                      "You are not logged in: the report is kept as *initial information* for Bawaslu. After sending "
                      "you get a receipt number only; reports and cases are not visible to the public."),
    "report.pin": ("Klik peta untuk menaruh pin, pakai lokasi ponsel, atau ketik koordinat. Foto dengan posisi EXIF "
                   "juga dapat dipakai.",
                   "Click the map to drop a pin, use the phone's location, or type coordinates. A photo with an EXIF "
                   "position works too."),
    "report.photos": ("Foto (JPEG, PNG, HEIC)", "Photos (JPEG, PNG, HEIC)"),
    "report.exif": ("EXIF {name}: posisi {pos}, waktu {when}", "EXIF of {name}: position {pos}, time {when}"),
    "report.locate": ("Pakai lokasi ponsel saya", "Use my phone's location"),
    "report.located": ("Pin dari lokasi ponsel (ketelitian ± {acc} m); periksa di peta sebelum mengirim.",
                       "Pin from the phone's location (accuracy ± {acc} m); check it on the map before sending."),
    "report.locate_denied": ("Izin lokasi ditolak di peramban; klik peta atau ketik koordinat.",
                             "Location permission was refused in the browser; click the map or type coordinates."),
    "report.locate_unavailable": ("Lokasi ponsel tidak tersedia; klik peta atau ketik koordinat.",
                                  "The phone's location is not available; click the map or type coordinates."),
    "report.locate_timeout": ("Lokasi ponsel tidak didapat dalam 20 detik; coba lagi di tempat terbuka.",
                              "No phone location within 20 seconds; try again in the open."),
    "report.locate_unsupported": ("Peramban ini tidak memberi lokasi; klik peta atau ketik koordinat.",
                                  "This browser gives no location; click the map or type coordinates."),
    "report.use_exif": ("Pakai tempat dan waktu dari EXIF", "Use place and time from EXIF"),
    "report.lon": ("Bujur (lon)", "Longitude (lon)"),
    "report.lat": ("Lintang (lat)", "Latitude (lat)"),
    "report.observed": ("Waktu terlihat (kosong: EXIF atau sekarang)", "Observed at (empty: EXIF or now)"),
    "report.known": ("Waktu diketahui (kosong: sama dengan terlihat)", "Known at (empty: same as observed)"),
    "report.source": ("Sumber", "Source"),
    "report.apk": ("Jenis APK", "APK type"),
    "report.paslon": ("Paslon (nomor urut)", "Paslon (ballot number)"),
    "report.desc": ("Keterangan", "Description"),
    "report.reporter": ("Identitas pelapor (dienkripsi; hanya Bawaslu)", "Reporter (encrypted; Bawaslu only)"),
    "report.name": ("Nama", "Name"),
    "report.contact": ("Kontak", "Contact"),
    "report.address": ("Alamat", "Address"),
    "report.nik": ("NIK (16 angka)", "ID number (NIK, 16 digits)"),
    "report.submit": ("Kirim laporan", "Send report"),
    "report.receipt": ("Informasi awal diterima. Nomor tanda terima: {n}", "Initial information received. "
                       "Receipt number: {n}"),
    "report.done": ("Kasus #{case} dibuka: {kel}, saran {verdict} {rules}", "Case #{case} opened: {kel}, "
                    "suggested {verdict} {rules}"),
    "report.error": ("Laporan tidak disimpan", "The report was not saved"),
    "cases.title": ("Kasus", "Cases"),
    "cases.none": ("Belum ada kasus.", "No cases yet."),
    "cases.pick": ("Buka kasus", "Open case"),
    "cases.confirm": ("Konfirmasi saran mesin", "Confirm the engine's suggestion"),
    "cases.override": ("Ubah (perlu alasan)", "Override (needs a reason)"),
    "cases.advance": ("Langkah berikutnya", "Next step"),
    "cases.to": ("Ke status", "To state"),
    "cases.reason": ("Alasan", "Reason"),
    "cases.letter": ("Nomor surat rekomendasi", "Recommendation letter number"),
    "cases.order": ("Nomor surat perintah KPU", "KPU order number"),
    "cases.deadline": ("Batas waktu dalam surat perintah (mis. 2024-10-12 09:00)", "Deadline stated in the order "
                       "(e.g. 2024-10-12 09:00)"),
    "cases.photo": ("Foto sesudah", "Photo after"),
    "cases.count": ("Jumlah APK diturunkan", "Number of APK removed"),
    "cases.storage": ("Tempat penyimpanan", "Storage place"),
    "cases.apply": ("Simpan langkah", "Save step"),
    "cases.evidence": ("Buat bundel bukti (ZIP)", "Build the evidence bundle (ZIP)"),
    "cases.download": ("Unduh bundel bukti", "Download the evidence bundle"),
    "cases.history": ("Riwayat", "History"),
    "cases.clocks": ("Batas waktu", "Deadlines"),
    "cases.overdue": ("TERLAMBAT", "OVERDUE"),
    "cases.saved": ("Tersimpan", "Saved"),
    "cases.refused": ("Ditolak", "Refused"),
    "cases.locked_by": ("Sedang disunting oleh {who} sejak {when}", "Being edited by {who} since {when}"),
    "cases.locked_you": ("Anda memegang kunci kasus ini sejak {when}", "You hold this case's lock since {when}"),
    "cases.lock": ("Kunci untuk disunting", "Lock for editing"),
    "cases.unlock": ("Lepas kunci", "Release the lock"),
    "cases.evidence_pick": ("Kasus dalam bundel bukti (satu atau beberapa)", "Cases in the evidence bundle (one or "
                            "several)"),
    "annex.title": ("Lampiran surat rekomendasi", "Recommendation-letter annex"),
    "annex.by": ("Kelompokkan per", "Group by"),
    "annex.state": ("Hanya status", "Only state"),
    "annex.all": ("(semua)", "(all)"),
    "annex.format": ("Format", "Format"),
    "annex.group": ("Hanya satu grup (mis. Gambir, 31.71, 2, R01; kosong = semua)",
                    "Only one group (e.g. Gambir, 31.71, 2, R01; empty = all)"),
    "annex.make": ("Buat lampiran", "Build the annex"),
    "annex.download": ("Unduh lampiran", "Download the annex"),
    "annex.rows": ("{n} baris", "{n} rows"),
    "dash.title": ("Dasbor Bawaslu", "Bawaslu dashboard"),
    "dash.overdue": ("Terlambat dan jatuh tempo dalam 24 jam", "Overdue and due within 24 h"),
    "dash.none_overdue": ("Tidak ada kasus terlambat atau jatuh tempo dalam 24 jam.",
                          "No case is overdue or due within 24 h."),
    "dash.by_state": ("Kasus terbuka per status", "Open cases by state"),
    "dash.counts": ("Jumlah per {what}", "Counts per {what}"),
    "dash.map": ("Peta laporan (warna = status)", "Map of reports (colour = state)"),
    "dash.sweeps": ("Penertiban masa tenang per kecamatan", "Quiet-period sweeps per kecamatan"),
    "dash.sweep_add": ("Catat penertiban", "Record a sweep"),
    "select": ("Pilih salah satu", "Choose an option"),
    "cases.keep": ("(tetap saran mesin)", "(keep the engine's suggestion)"),
    "dash.legend": ("Status kasus", "Case state"),
    "dash.tab.kelurahan": ("Kelurahan", "Kelurahan"),
    "dash.tab.kecamatan": ("Kecamatan", "Kecamatan"),
    "dash.tab.rule": ("Aturan", "Rule"),
    "dash.tab.paslon": ("Paslon", "Paslon"),
    "dash.tab.apk": ("Jenis APK", "APK type"),
    "dash.tab.day": ("Hari", "Day"),
    "need_bawaslu": ("Halaman ini untuk akun Bawaslu; masuk terlebih dahulu.",
                     "This page is for Bawaslu accounts; log in first."),
}

#: Table headers (id, en) by column key; the frames keep the keys (CSV downloads, tests), the
#: headers are set through ``st.column_config`` labels in the session's language.
COLUMNS = {
    "case_id": ("Kasus", "Case"), "!": ("Tenggat", "Due"), "state": ("Status", "State"),
    "kelurahan": ("Kelurahan", "Kelurahan"), "kecamatan": ("Kecamatan", "Kecamatan"),
    "verdict": ("Saran putusan", "Suggested verdict"), "rule_ids": ("Aturan", "Rules"),
    "apk_type": ("Jenis APK", "APK type"), "paslon": ("Paslon", "Paslon"),
    "deadline": ("Batas waktu (WIB)", "Deadline (WIB)"), "assigned_to": ("Petugas", "Assigned to"),
    "lock_holder": ("Dikunci oleh", "Locked by"), "at": ("Waktu (WIB)", "Time (WIB)"),
    "actor": ("Oleh", "By"), "role": ("Peran", "Role"), "from": ("Dari status", "From state"),
    "to": ("Ke status", "To state"), "fields": ("Isian", "Fields"), "clock": ("Jam", "Clock"),
    "status": ("Keadaan", "Status"), "policy": ("Kebijakan", "Policy"), "basis": ("Dasar", "Basis"),
}


def column_labels(columns) -> dict[str, str]:
    """``st.dataframe`` ``column_config`` for ``columns``: each known key headed in the session's language."""
    i = 1 if lang() == "en" else 0
    return {c: COLUMNS[c][i] for c in columns if c in COLUMNS}


def state_text(value: str | None) -> str:
    """A case state named in the session's language ("" for none; an unknown value as written)."""
    from geozones.cases.states import label

    if not value:
        return ""
    try:
        return label(value, lang())
    except ValueError:
        return str(value)


def verdict_text(value: str | None) -> str:
    """A verdict named in the session's language ("" for none; an unknown value as written)."""
    from geozones.core.verdicts import label

    if not value:
        return ""
    try:
        return label(value, lang())
    except ValueError:
        return str(value)


def state_legend() -> list[tuple[str, str]]:
    """``(colour, label)`` of every case state, for :class:`geozones.app.mapview.Legend`."""
    return [(color, state_text(name)) for name, color in STATE_COLORS.items()]


def tr(key: str, **kw) -> str:
    """The text of ``key`` in the session's language, formatted with ``kw``."""
    ind, eng = T[key]
    return (eng if lang() == "en" else ind).format(**kw)


def store():
    """The open store (as the login page opens it)."""
    from geozones.app.login import _store

    return _store()


def principal() -> Principal:
    """Who is acting in this browser session (public when nobody is logged in or the store is absent)."""
    from geozones.app.login import current_principal

    try:
        return current_principal()
    except InputError:
        return PUBLIC


def now() -> dt.datetime:
    """The current time (``$GEOZONES_NOW`` fixes it in tests; see :mod:`geozones.services.clock`)."""
    from geozones.services.clock import now as clock_now

    return clock_now()
