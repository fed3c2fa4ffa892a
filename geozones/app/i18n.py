"""User-interface texts in Bahasa Indonesia (default) and English.

Streamlit has no i18n of its own, so every UI string lives in :data:`CATALOG`
under a dotted key, with one text per language, and is looked up with
:func:`t`. Verdict labels come from :mod:`geozones.core.verdicts` and reasons from
the engine, which carry their own ``id``/``en`` texts.
"""

from __future__ import annotations

LANGS = ("id", "en")
DEFAULT_LANG = "id"

#: key -> (Bahasa Indonesia, English). ``{name}`` placeholders are filled by :func:`t`.
CATALOG: dict[str, tuple[str, str]] = {
    # app shell
    "app.title": ("geozones — Peta zona APK Jakarta Pusat", "geozones — APK zone map, Central Jakarta"),
    "app.lang": ("Bahasa", "Language"),
    "app.tagline": ("Pilkada DKI Jakarta 2024 · Kota Jakarta Pusat",
                    "2024 Jakarta governor election · Central Jakarta"),
    "app.disclaimer": ("Bukan publikasi resmi KPU. Putusan berasal dari aturan yang disusun dari sumber "
                       "publik; periksa dasar hukum dan keadaan lapangan.",
                       "Not an official KPU publication. Verdicts come from rules compiled from public "
                       "sources; check the legal basis and the situation on site."),
    "app.rules_error": ("Berkas aturan tidak dapat dipakai. Perbaiki aturan dan kolom yang disebut di bawah:",
                        "The rule file cannot be used. Fix the rules and fields named below:"),
    "app.data_error": ("Data wilayah tidak dapat dimuat. Pengelola: periksa GEOZONES_DATA_DIR (rinciannya ada "
                       "di log server).",
                       "The area data cannot be loaded. Administrators: check GEOZONES_DATA_DIR (details are in "
                       "the server log)."),
    "err.row": ("baris {row}", "row {row}"),
    "err.field": ("kolom '{field}'", "field '{field}'"),
    "err.more": ("... dan {n} masalah lain", "... and {n} more problem(s)"),
    "app.absent_layers": ("Lapisan tidak tersedia (aturannya tidak diperiksa): {names}",
                          "Layers not available (their rules are not checked): {names}"),
    "nav.map": ("Peta", "Map"),
    "nav.list": ("Cek daftar", "Check a list"),
    "nav.where": ("Di mana boleh?", "Where may APK go?"),
    "nav.rules": ("Aturan", "Rules"),
    "attr.title": ("Sumber data", "Data sources"),
    # shared controls
    "ctl.date": ("Tanggal penilaian (WIB)", "Date judged for (WIB)"),
    "ctl.time": ("Jam (WIB)", "Time (WIB)"),
    "ctl.date_help": ("Ketik tanggal sebagai HH/BB/TTTT (mis. 15/10/2024) lalu tekan Enter.",
                      "Type the date as DD/MM/YYYY (e.g. 15/10/2024), then press Enter."),
    "ctl.date_bad": ("'{value}' bukan tanggal yang sah (HH/BB/TTTT); tanggal sebelumnya tetap dipakai.",
                     "'{value}' is not a valid date (DD/MM/YYYY); the previous date is kept."),
    "ctl.default_inside": ("Tanggal bawaan di dalam masa kampanye: hari ini ({today}) di luar jadwal "
                           "aturan ini.",
                           "Default date inside the campaign period: today ({today}) is outside this rule "
                           "set's schedule."),
    "ctl.apk_type": ("Jenis APK", "APK type"),
    "ctl.apk_any": ("(tidak disebut)", "(not given)"),
    "ctl.search": ("Cari kelurahan atau kecamatan", "Find a kelurahan or kecamatan"),
    "ctl.search_none": ("(seluruh Jakarta Pusat)", "(all of Central Jakarta)"),
    "ctl.search_kel": ("Kel.", "Kel."),
    "ctl.search_kec": ("Kec.", "Kec."),
    "ctl.online_tiles": ("OpenStreetMap (perlu internet)", "OpenStreetMap (needs internet)"),
    "sched.title": ("Jadwal Pilkada 2024 (WIB)", "2024 election schedule (WIB)"),
    "sched.campaign": ("Masa kampanye", "Campaign period"),
    "sched.quiet": ("Masa tenang", "Quiet period"),
    "sched.voting": ("Hari pemungutan suara", "Voting day"),
    "sched.phase": ("Tahap", "Phase"),
    "sched.from": ("Mulai", "From"),
    "sched.to": ("Sampai (tidak termasuk)", "Until (exclusive)"),
    "sched.now_in": ("Tanggal yang dipilih: {phase}", "Chosen date: {phase}"),
    "sched.before": ("sebelum masa kampanye", "before the campaign"),
    "sched.after": ("setelah pemungutan suara", "after voting day"),
    "sched.after_note": ("Tanggal ini setelah hari pemungutan suara ({voting}). Masa kampanye pemilihan ini sudah "
                         "berakhir dan APK-nya seharusnya sudah diturunkan; tidak ada pemasangan yang dapat dinilai "
                         "untuk tanggal ini. Pilih tanggal dalam masa kampanye ({start} – {end}).",
                         "This date is after voting day ({voting}). The campaign of this election is over and its "
                         "APK should already be down; no installation can be judged for this date. Choose a "
                         "date inside the campaign period ({start} – {end})."),
    "sched.after_engine": ("Putusan mesin aturan untuk tanggal ini", "The rule engine's verdict for this date"),
    # map layers and legend
    "layer.kelurahan": ("Batas kelurahan", "Kelurahan boundaries"),
    "layer.parcel": ("Persil terlarang (ibadah, kesehatan, pendidikan, pemerintah)",
                     "Restricted parcels (worship, health, education, government)"),
    "layer.advisory": ("Radius anjuran (perkiraan halaman)", "Advisory radii (estimated grounds)"),
    "layer.corridor": ("Koridor jalan", "Road corridors"),
    "layer.kawasan": ("Kawasan dan taman bernama", "Named areas and parks"),
    "layer.sites": ("Lokasi APK", "APK sites"),
    "layer.selected": ("Titik dipilih", "Chosen spot"),
    "layer.zoning": ("Pembagian wilayah", "Area classes"),
    "tip.kelurahan": ("Kelurahan", "Kelurahan"),
    "tip.kecamatan": ("Kecamatan", "Kecamatan"),
    "tip.kode_kemendagri": ("Kode Kemendagri", "Kemendagri code"),
    "tip.kode_bps": ("Kode BPS", "BPS code"),
    "tip.name": ("Nama", "Name"),
    "tip.rules": ("Aturan", "Rules"),
    "tip.verdict": ("Putusan", "Verdict"),
    "legend.title": ("Legenda", "Legend"),
    "legend.dashed": ("garis putus = anjuran/perkiraan", "dashed = advisory/estimated"),
    # map page
    "map.title": ("Peta: cek satu titik", "Map: check a spot"),
    "map.help": ("Klik di peta untuk melihat apakah APK boleh dipasang di titik itu, dengan alasan "
                 "dan dasar hukumnya.",
                 "Click on the map to see whether APK may stand at that spot, with the reasons and "
                 "legal basis."),
    "map.coords": ("Atau masukkan koordinat", "Or enter coordinates"),
    "map.lat": ("Lintang (lat)", "Latitude"),
    "map.lon": ("Bujur (lon)", "Longitude"),
    "map.check": ("Periksa titik ini", "Check this spot"),
    "map.advisory": ("Tampilkan radius anjuran", "Show advisory radii"),
    "map.advisory_help": ("Perkiraan halaman tempat ibadah, sekolah dan fasilitas kesehatan (garis putus-putus); "
                          "dimuat hanya bila diminta agar peta cepat terbuka.",
                          "Estimated grounds of places of worship, schools and health facilities (dashed); "
                          "loaded only on request so the map opens fast."),
    "map.pick": ("Klik sebuah titik di peta.", "Click a spot on the map."),
    "panel.title": ("Putusan", "Verdict"),
    "panel.point": ("Titik: {lat}, {lon}", "Spot: {lat}, {lon}"),
    "panel.judged_at": ("Dinilai untuk: {when}", "Judged for: {when}"),
    "panel.where": ("Wilayah", "Area"),
    "panel.reasons": ("Alasan", "Reasons"),
    "panel.by_type": ("Menurut jenis APK", "By APK type"),
    "panel.nearest": ("Tempat terlarang terdekat: {name} ({layer}), {dist} m",
                      "Nearest restricted place: {name} ({layer}), {dist} m"),
    "panel.nearest_none": ("Tidak ada tempat terlarang dalam {bound} m.",
                           "No restricted place within {bound} m."),
    "panel.advisory": ("Sebagian putusan bersandar pada geometri perkiraan (anjuran); periksa di lapangan.",
                       "Part of this verdict rests on estimated (advisory) geometry; check on site."),
    "panel.unverified": ("Belum pasti: ada aturan yang tidak diperiksa karena lapisannya tidak tersedia, dan "
                         "aturan itu dapat memperketat putusan ini (lihat alasan).",
                         "Unverified: some rules were not checked because their layer is missing, and they could "
                         "make this verdict stricter (see the reasons)."),
    "panel.not_checked": ("Tidak diperiksa (lapisan data tidak tersedia): {rules}",
                          "Not checked (data layer not available): {rules}"),
    "panel.matches": ("Rincian kecocokan aturan", "Rule match details"),
    "panel.provenance": ("Dasar putusan: aturan {ruleset} v{version}, wilayah {area}, {n} lapisan data "
                         "(sidik isi di bawah; kasus dapat dinilai ulang dengan data yang sama).",
                         "Verdict rests on: rule set {ruleset} v{version}, area {area}, {n} data layers "
                         "(content digests below; a case can be re-judged on the same data)."),
    "panel.digests": ("Sidik isi lapisan data (SHA-256)", "Data layer content digests (SHA-256)"),
    "col.digest": ("Sidik isi", "Content digest"),
    "panel.engine_missing": ("Mesin aturan belum tersedia: {err}", "The rule engine is not available: {err}"),
    "col.rule_id": ("Aturan", "Rule"),
    "col.verdict": ("Putusan", "Verdict"),
    "col.layer": ("Lapisan", "Layer"),
    "col.feature": ("Objek", "Feature"),
    "col.distance_m": ("Jarak (m)", "Distance (m)"),
    "col.advisory": ("Anjuran", "Advisory"),
    "col.reason": ("Alasan", "Reason"),
    "col.site_id": ("ID lokasi", "Site id"),
    "col.apk_type": ("Jenis APK", "APK type"),
    "col.paslon": ("Paslon", "Candidate pair"),
    "col.kelurahan": ("Kelurahan", "Kelurahan"),
    "col.kecamatan": ("Kecamatan", "Kecamatan"),
    "col.nearest": ("Terdekat", "Nearest"),
    "col.nearest_m": ("Jarak terdekat (m)", "Nearest (m)"),
    "col.lat": ("Lintang", "Latitude"),
    "col.lon": ("Bujur", "Longitude"),
    "col.judged_at": ("Dinilai untuk", "Judged for"),
    # list page
    "list.title": ("Cek daftar lokasi APK", "Check a list of APK sites"),
    "list.help": ("Unggah CSV, XLSX, GeoJSON atau KML berisi lokasi rencana atau laporan. Kolom: id, lon, "
                  "lat, dan bila ada apk_type, paslon, installed_at.",
                  "Upload a CSV, XLSX, GeoJSON or KML of planned or reported sites. Columns: id, lon, "
                  "lat, and optionally apk_type, paslon, installed_at."),
    "list.upload": ("Berkas lokasi", "Sites file"),
    "list.template": ("Unduh contoh CSV", "Download a sample CSV"),
    "list.bad_file": ("Berkas tidak dapat dipakai:", "The file cannot be used:"),
    "list.bad_hint": ("Perbaiki baris atau fitur yang disebut di bawah (baris dihitung dari 1 setelah judul "
                      "kolom; row = baris, field = kolom), lalu unggah lagi.",
                      "Fix the rows or features named below (rows count from 1 after the header), "
                      "then upload again."),
    "list.date_order_ask": ("Urutan hari dan bulan di kolom '{col}' tidak pasti: tanggal seperti 10/2/2024 dapat "
                            "dibaca 10 Februari atau 2 Oktober, dan isi kolom tidak memastikannya (atau mencampur "
                            "keduanya). Pilih cara membacanya; baris yang tidak cocok lalu disebut.",
                            "The day and month order in column '{col}' is not certain: a date such as 10/2/2024 "
                            "can be 10 February or 2 October, and the column's values do not decide it (or mix "
                            "both). Choose how to read it; rows that do not fit are then named."),
    "list.date_order": ("Urutan tanggal di kolom '{col}'", "Date order in column '{col}'"),
    "list.dayfirst": ("hari/bulan dulu (10/2/2024 = 10 Februari 2024)",
                      "day first (10/2/2024 = 10 February 2024)"),
    "list.monthfirst": ("bulan/hari dulu (10/2/2024 = 2 Oktober 2024, gaya AS)",
                        "month first (10/2/2024 = 2 October 2024, US style)"),
    "list.checking": ("Memeriksa {n} lokasi…", "Checking {n} sites…"),
    "list.checked": ("{n} lokasi diperiksa dalam {s} detik.", "{n} sites checked in {s} s."),
    "list.filters": ("Saring", "Filter"),
    "list.choose": ("Pilih…", "Choose…"),
    "list.f_verdict": ("Putusan", "Verdict"),
    "list.f_kelurahan": ("Kelurahan", "Kelurahan"),
    "list.f_paslon": ("Paslon", "Candidate pair"),
    "list.f_apk": ("Jenis APK", "APK type"),
    "list.shown": ("Ditampilkan {n} dari {total} lokasi.", "Showing {n} of {total} sites."),
    "list.results": ("Hasil", "Results"),
    "list.map": ("Peta hasil", "Results map"),
    "list.quota": ("Pemakaian kuota per paslon", "Quota use per candidate pair"),
    "list.quota_none": ("Tidak ada kuota yang terpakai (paslon atau jenis APK kosong).",
                        "No quota used (candidate pair or APK type not given)."),
    "list.quota_over": ("{n} baris melewati batas kuota.", "{n} rows over the quota cap."),
    "list.downloads": ("Unduh hasil", "Download results"),
    "list.dl_csv": ("CSV", "CSV"),
    "list.dl_geojson": ("GeoJSON", "GeoJSON"),
    "list.dl_xlsx": ("Excel (XLSX)", "Excel (XLSX)"),
    "list.too_big": ("Berkas terlalu besar (batas {mb} MB).", "File too large (limit {mb} MB)."),
    "list.at_help": ("Dipakai untuk lokasi tanpa kolom installed_at.",
                     "Used for sites without an installed_at column."),
    "list.summary": ("Ringkasan putusan", "Verdict summary"),
    "col.unit": ("Satuan", "Unit"),
    "col.unit_name": ("Wilayah", "Area"),
    "col.used": ("Terpakai", "Used"),
    "col.facilitated_max": ("Fasilitasi maks.", "Facilitated max."),
    "col.cap": ("Batas (termasuk 200 %)", "Cap (incl. 200 %)"),
    "col.over": ("Lewat batas", "Over cap"),
    "col.count": ("Jumlah", "Count"),
    "col.code": ("Kode", "Code"),
    # where-may page
    "where.title": ("Di mana APK boleh dipasang?", "Where may APK go?"),
    "where.help": ("Luas tiap kelurahan dibagi menurut putusan yang berlaku di sana. Radius dan koridor "
                   "digambar untuk tampilan dan bagian luas; putusan satu titik tetap dari mesin aturan.",
                   "Each kelurahan's area split by the verdict that holds there. Radii and corridors are "
                   "drawn for display and area shares; a single spot's verdict still comes from the rule "
                   "engine."),
    "where.date_note": ("Tanggal bawaan jatuh di masa kampanye 2024 agar pembagian wilayah bermakna.",
                        "The default date falls in the 2024 campaign so that the area split is meaningful."),
    "where.computing": ("Menghitung pembagian wilayah…", "Computing the area split…"),
    "where.by_kel": ("Bagian luas per kelurahan (%)", "Area shares per kelurahan (%)"),
    "where.by_kec": ("Bagian luas per kecamatan (%)", "Area shares per kecamatan (%)"),
    "where.streets": ("Panjang jalan bernama yang dapat dipakai", "Usable length along named streets"),
    "where.annex_title": ("Lampiran: ruas jalan yang dapat dipakai untuk APK per kelurahan — {ruleset} {version}",
                          "Annex: street segments usable for APK per kelurahan — {ruleset} {version}"),
    "where.export": ("Unduh lampiran (gaya SK KPU) CSV", "Download annex (KPU decree style) CSV"),
    "where.usable_note": ("Dapat dipakai = bukan dilarang, bukan perlu diskresi, bukan di luar jadwal; "
                          "tetap perlu izin pemilik/Pemda sesuai kelasnya.",
                          "Usable = not forbidden, not needing discretion, not out of the window; owner "
                          "consent or a permit may still be needed per its class."),
    "zone.forbidden": ("Dilarang", "Forbidden"),
    "zone.out_of_window": ("Di luar jadwal", "Out of the time window"),
    "zone.discretion": ("Perlu diskresi", "Needs discretion"),
    "zone.permit": ("Perlu izin Pemda", "Needs a permit"),
    "zone.owner_consent": ("Perlu izin pemilik", "Needs owner consent"),
    "zone.allowed": ("Boleh", "Allowed"),
    "col.area_ha": ("Luas (ha)", "Area (ha)"),
    "col.usable_m": ("Dapat dipakai (m)", "Usable (m)"),
    "col.total_m": ("Panjang total (m)", "Total length (m)"),
    "col.street": ("Nama jalan", "Street"),
    "col.segments": ("Ruas", "Segments"),
    # rules page
    "rules.title": ("Aturan yang berlaku", "Active rule set"),
    "rules.meta": ("Versi {version} · status {status} · diterbitkan oleh {issued_by}",
                   "Version {version} · status {status} · issued by {issued_by}"),
    "rules.default": ("Putusan bawaan bila tidak ada aturan yang cocok: {verdict}",
                      "Default verdict when no rule matches: {verdict}"),
    "rules.rules": ("Aturan", "Rules"),
    "rules.quotas": ("Kuota", "Quotas"),
    "rules.grants": ("Diskresi tertulis", "Written discretion grants"),
    "rules.grants_none": ("Belum ada diskresi tercatat.", "No grant recorded yet."),
    "rules.grants_at": ("Diskresi yang berlaku pada {date}.", "Grants in force on {date}."),
    "rules.grants_none_at": ("Tidak ada diskresi yang berlaku pada tanggal ini.",
                             "No grant is in force on this date."),
    "rules.grants_other": ("Diskresi lain yang tercatat, tidak berlaku pada tanggal ini: {ids}.",
                           "Other recorded grants, not in force on this date: {ids}."),
    "rules.layers": ("Cakupan lapisan data", "Data layer coverage"),
    "rules.absent": ("Tidak tersedia: {names}", "Absent: {names}"),
    "cov.title": ("Cakupan dan umur data", "Data coverage and age"),
    "cov.help": ("Kelurahan tanpa sekolah atau tempat ibadah di data hampir pasti punya di lapangan: "
                 "lapisannya belum lengkap di sana, dan putusan \"tidak ada larangan yang cocok\" kurang "
                 "berarti. Lapisan yang tidak tersedia membuat aturannya tidak diperiksa.",
                 "A kelurahan with no school or place of worship in the data almost certainly has one on "
                 "the ground: the layer is incomplete there, and a verdict of \"no prohibition matched\" "
                 "means less. An absent layer leaves its rules unchecked."),
    "cov.present": ("tersedia", "present"),
    "cov.absent_cell": ("TIDAK TERSEDIA", "ABSENT"),
    "cov.absent_item": ("{name} (aturan {rules} tidak diperiksa)", "{name} (rules {rules} not checked)"),
    "cov.kelurahan": ("Cakupan per kelurahan", "Coverage per kelurahan"),
    "cov.gap_count": ("{n} dari {total} kelurahan punya kemungkinan celah data.",
                      "{n} of {total} kelurahan have likely or possible data gaps."),
    "cov.only_gaps": ("Hanya kelurahan dengan kemungkinan celah", "Only kelurahan with possible gaps"),
    "cov.categories": ("Rincian jumlah objek per kategori", "Feature counts by category"),
    "cov.unavailable": ("Laporan cakupan tidak dapat dibuat:", "The coverage report could not be built:"),
    "col.unchecked": ("Aturan tidak diperiksa", "Rules not checked"),
    "col.gaps": ("Kemungkinan celah data", "Possible data gaps"),
    "rules.grades": ("Tingkat bukti: P = teks primer dilihat; S = disampaikan pejabat bernama; "
                     "I = disimpulkan atau preseden.",
                     "Evidence grades: P = primary text seen; S = reported by a named official; "
                     "I = inferred or precedent."),
    "col.title": ("Judul", "Title"),
    "col.form": ("Bentuk", "Form"),
    "col.metres": ("Jarak (m)", "Distance (m)"),
    "col.place": ("Tempat", "Place"),
    "col.legal_basis": ("Dasar hukum", "Legal basis"),
    "col.grade": ("Tingkat bukti", "Grade"),
    "col.window": ("Masa berlaku", "Window"),
    "col.apk_types": ("Jenis APK", "APK types"),
    "col.note": ("Catatan", "Note"),
    "col.name": ("Nama", "Name"),
    "col.present": ("Tersedia", "Present"),
    "col.features": ("Jumlah objek", "Features"),
    "col.source": ("Sumber", "Source"),
    "col.licence": ("Lisensi", "Licence"),
    "col.date": ("Tanggal data", "Data date"),
    "col.age_years": ("Umur data (tahun)", "Data age (years)"),
    "col.problem": ("Masalah", "Problem"),
    "col.id": ("ID", "Id"),
    "col.lifts": ("Mencabut aturan", "Lifts rules"),
    "col.reference": ("Surat", "Letter"),
    "window.always": ("selalu", "always"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """The UI text for ``key`` in ``lang``, with ``{name}`` placeholders filled.

    Parameters
    ----------
    key : str
        Dotted key of :data:`CATALOG`.
    lang : str
        ``"id"`` (default) or ``"en"``; anything else falls back to Indonesian.
    **values
        Values for the placeholders.

    Raises
    ------
    KeyError
        For an unknown key, so a typo fails a test instead of showing a raw key.
    """
    ind, eng = CATALOG[key]
    text = eng if lang == "en" else ind
    return text.format(**values) if values else text


def apk_label(value: object, lang: str = DEFAULT_LANG) -> str:
    """The APK type ``value`` (``"spanduk"``, an :class:`~geozones.core.apk.ApkType`) named in ``lang``.

    A missing type is "(tidak disebut)" / "(not given)"; a value that is not a known
    type is returned as written.
    """
    from geozones.core.apk import APK_LABELS, normalize_apk_type

    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return t("ctl.apk_any", lang)
    try:
        kind = normalize_apk_type(value)
    except ValueError:
        return str(value)
    if kind is None:
        return t("ctl.apk_any", lang)
    return APK_LABELS[kind][1 if lang == "en" else 0]


def normalize_lang(lang: object) -> str:
    """``"en"`` or ``"id"`` (the default for anything else)."""
    return "en" if str(lang).lower().startswith("en") else DEFAULT_LANG
