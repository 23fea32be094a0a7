"""The identifier formats masked in complaint text: one row per format.

Each row holds its pattern, an example as a citizen writes it and that example
masked; ``core.privacy`` builds the masker from these rows and the tests check
every row. A pattern's group ``id`` is what is replaced by the kind's
placeholder; the rest of a match (a cue such as "rek BRI" or "nama saya") stays.

Every pattern must run in linear time on any text (issue 15: the old e-mail
pattern backtracked quadratically): quantifiers are bounded, or unbounded only
over a run that nothing after it can give back (``\\S+`` ending a URL, ``\\d{9,}``
between non-digits), so that trying a pattern at one position costs at most a
constant; a pattern that may start inside a run of its own characters is
anchored by a lookbehind where it can be, so that a failing run is tried once
and not from each of its characters. ``lapor bench mask`` measures it.

Rows use non-capturing groups only (the group ``id`` is the one capture).
Shared building blocks keep the rows readable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDERS = {
    "url": "<url>",
    "email": "<email>",
    "phone": "<telepon>",
    "nik": "<nik>",
    "account": "<rekening>",
    "plate": "<plat>",
    "name": "<nama>",
}


# The masker runs in steps, in this order (see core.privacy); a format's step is
# its kind's unless the row says otherwise.
STEPS = ("url", "email", "name", "number", "plate")
STEP_OF_KIND = {
    "url": "url",
    "email": "email",
    "name": "name",
    "account": "number",
    "nik": "number",
    "phone": "number",
    "plate": "plate",
}


@dataclass(frozen=True)
class Format:
    name: str
    kind: str  # a key of PLACEHOLDERS
    pattern: str  # the group ``id`` is replaced; text around it in the match is a cue, kept
    example: str
    masked: str  # mask_identifiers(example)
    step: str  # one of STEPS


# --- building blocks -------------------------------------------------------
_SP = "[ \u00a0]"  # a space or a no-break space
# between digit groups: a dash, dot, slash or en/em dash (spaces around allowed) or a space
SEP = rf"(?:{_SP}?[-.\u2013\u2014/]{_SP}?|{_SP})"
# the same without the slash: landlines and NIK (letter numbers and dates use slashes)
NSEP = rf"(?:{_SP}?[-.\u2013\u2014]{_SP}?|{_SP})"


def digits(low: int, high: int, sep: str = SEP) -> str:
    """``low``..``high`` digits, each optionally after one separator."""
    return rf"(?:{sep}?\d){{{low},{high}}}"


END = r"(?!\d)"
# +62 in its written forms; a bare 62 only where no digit or + comes before it
INTL = rf"(?:\+{_SP}?62|\(\+?62\)|(?<!\d)0062|(?<![\d+])62)"
INTL_STRICT = rf"(?:\+{_SP}?62|\(\+?62\)|(?<!\d)0062)"
OPERATOR = r"8[1-9]\d"  # 0811..0899: the operator prefix, written in one piece
AREA = r"[2-79]\d{1,2}"  # landline area codes without the 0: 21, 22, 274, 361, 911
# the first two digits of a NIK/KK: a province code (11 Aceh .. 96 Papua Barat Daya)
PROVINCE = r"(?:1[1-9]|21|3[1-6]|5[1-3]|6[1-5]|7[1-6]|8[12]|9[1-7])"
BANK = (
    r"(?:BRI|BNI|BCA|BSI|BTN|BJB|Mandiri|CIMB(?: Niaga)?|Danamon|Permata|Mega|"
    r"OCBC(?: NISP)?|Panin|Muamalat|Jago|Jatim|Jateng|Jabar|DKI|Sumut|Nagari|"
    r"BPD(?: [a-z]{2,12})?|Bank [a-z]{2,15})"
)
# TNKB region letters (B Jakarta, AB Yogyakarta, DK Bali, KB Kalimantan Barat, ...)
PLATE_REGION = (
    r"(?:AA|AB|AD|AE|AG|BA|BB|BD|BE|BG|BH|BK|BL|BM|BN|BP|DA|DB|DC|DD|DE|DG|DH|DK|DL|DM|"
    r"DN|DR|DT|DW|EA|EB|ED|KB|KH|KT|KU|PA|PB|A|B|D|E|F|G|H|K|L|M|N|P|R|S|T|W|Z)"
)
# not a plate: "SMA N 1 ..." (sekolah negeri), "SD N 2"
NOT_SCHOOL = r"(?<!SMA )(?<!SMP )(?<!SMK )(?<!SD )(?<!MI )(?<!MTs )"

# Words that follow a cue ("saya ...", "atas nama ...") without being a name.
NOT_NAMES = (
    # pronouns, kin and honorifics (an honorific before a name is kept, see HONORIFIC)
    "saya aku sy kami kita dia ia beliau mereka anda kamu sendiri pribadi anak istri suami "
    "ayah bapak ibu bpk pak bu ortu orang keluarga adik kakak kak nenek kakek almarhum "
    "almarhumah mas mbak bang saudara saudari sdr sdri tuan nyonya "
    # roles people introduce themselves with
    "warga pelanggan guru petani pedagang nelayan buruh karyawan pegawai pekerja mahasiswa "
    "siswa pelajar murid wali penduduk masyarakat rakyat kader relawan pensiunan veteran "
    "tenaga honorer pns asn ppk pppk tni polri polisi sopir supir driver ojek pengemudi "
    "peserta penerima korban pemilik penghuni penyewa pembeli penjual pengusaha pengguna "
    "penumpang pasien perangkat ketua kepala sekretaris bendahara pengurus anggota staf "
    "petugas pejabat kepada yth dengan hormat "
    # money and units a sentence may go on with ("saya Rp 50.000 ...": found by Hypothesis)
    "rp idr usd kg km "
    # institutions named after "atas nama" / "saya," (a scam "atas nama Bea Cukai")
    "bea cukai badan dinas kementerian kemenkes kemendikbud kementrian pln pdam bpjs bpn "
    "samsat polres polsek polda kejaksaan kejari pengadilan kpk ombudsman kpu bawaslu "
    "pemkab pemkot pemprov pemdes camat kecamatan lurah bupati walikota wali gubernur "
    "presiden menteri dprd dpr universitas univ institut politeknik kampus sma smp smk sd "
    "mi mts madrasah pesantren rsud rs rumah sakit puskesmas klinik apotek pasar terminal "
    "stasiun bandara pelabuhan masjid gereja pura kantor "
    # places and bodies
    "kabupaten kab kota provinsi kecamatan kec kelurahan kel desa dusun kampung jalan jl "
    "gang rt rw rumah kantor sekolah pemerintah pemda dinas pt cv ud yayasan koperasi bank "
    "perusahaan instansi lembaga negara daerah pusat "
    # function words, common verbs and adverbs
    "ada adalah ialah akan sudah sdh telah belum blm tidak tdk tak bukan masih sedang juga "
    "hanya cuma sangat sekali mau ingin hendak bisa dapat harus perlu mohon minta "
    "sebagai selaku yang dan atau serta tapi tetapi namun karena krn jadi maka lalu "
    "kemudian di ke dari pada dalam untuk utk buat bagi oleh sejak sampai hingga tentang "
    "terhadap ini itu tersebut tsb sini situ sana tinggal bekerja kerja lahir berasal asal "
    "salah beda berbeda keliru tertulis tercantum terdaftar terdata hilang ganda dicoret "
    "dihapus diganti dipakai dipakainya digunakan muncul masuk keluar tetap lagi pun "
    "lapor melapor melaporkan mengadu mengadukan menyampaikan sampaikan kirim "
    # SMS spellings
    "ga gak gk nggak ngga enggak ndak udh udah dah blom lom kok lg yg dr dgn jg aja tp "
    "dll bgt msh sm trs pas gimana gmn knp "
    # days and months
    "senin selasa rabu kamis jumat sabtu minggu januari februari maret april mei juni "
    "juli agustus september oktober november desember"
).split()


def word_trie(words: list[str]) -> str:
    """One regex for a set of words, as a prefix tree: tried letter by letter,
    not word by word (a name test runs at every name-like word after a cue)."""
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        if "" in node:
            return f"(?:{body})?"
        return body

    return emit(tree)


_END_WORD = r"(?![\w'\u2019-])"
NOT_A_NAME = rf"(?!(?i:{word_trie(NOT_NAMES)}){_END_WORD})"
_TITLE = rf"[A-Z][a-z'\u2019][a-z'\u2019-]{{0,20}}{_END_WORD}"
_UPPER = rf"[A-Z][A-Z'\u2019-]{{1,20}}{_END_WORD}"
_LOWER = rf"[a-z][a-z'\u2019-]{{1,20}}{_END_WORD}"
# A name: up to four words, none of them a NOT_NAMES word. Capitalised after a
# weak cue ("saya Siti"); in capitals too after "atas nama" / "a.n."; in any
# case after a strong one ("nama saya siti").
NAME_TITLE = rf"{NOT_A_NAME}{_TITLE}(?: {NOT_A_NAME}{_TITLE}){{0,3}}"
NAME_CAPS = rf"{NOT_A_NAME}(?:{_TITLE}|{_UPPER})(?: {NOT_A_NAME}(?:{_TITLE}|{_UPPER})){{0,3}}"
NAME_ANY = (
    rf"{NOT_A_NAME}(?:{_TITLE}|{_UPPER}|{_LOWER})"
    rf"(?: {NOT_A_NAME}(?:{_TITLE}|{_UPPER}|{_LOWER})){{0,3}}"
)
HONORIFIC = (
    r"(?:(?i:bapak|bpk\.?|pak|ibu|bu|sdr\.?|sdri\.?|saudara|saudari|mas|mbak|kak|bang|"
    r"hj?\.|ir\.|dr\.|drg?\.) )?"
)
_CUE_END = r"[ ]?[:,]?[ ]?"


def _row(
    name: str, kind: str, pattern: str, example: str, masked: str, step: str | None = None
) -> Format:
    return Format(name, kind, pattern, example, masked, step or STEP_OF_KIND[kind])


# --- the table ---------------------------------------------------------------
# The local part is at most 64 characters (RFC 5321), so an address glued to a
# longer run ("a.a.a....budi@mail.id") loses the run's last 64 characters with it.
# The masker looks for e-mails from each "@" backwards (core.privacy).
_EMAIL = r"(?P<id>[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8})(?![\w-])"
_EMAIL_OBFUSCATED = (
    r"(?P<id>[\w.+-]{1,64} ?[\[(] ?(?i:at) ?[\])] ?[\w-]{1,63}"
    r"(?: ?(?:\.|[\[(] ?(?i:dot|titik) ?[\])]) ?[\w-]{1,63}){1,8})(?![\w-])"
)
_URL = r"(?P<id>(?i:https?://|www\.)\S+)"
_URL_SHORT = (
    r"(?<![\w.-])(?P<id>(?i:bit\.ly|s\.id|tinyurl\.com|wa\.me|t\.me|linktr\.ee|forms\.gle)/\S+)"
)
_URL_BARE = (
    r"(?<![\w.@/-])(?P<id>(?:[\w-]{1,63}\.){1,6}"
    r"(?i:com|net|org|co\.id|go\.id|ac\.id|or\.id|sch\.id|id)/\S*)"
)

_MOBILE = rf"(?<!\d)(?P<id>08[1-9]\d{digits(6, 9)}){END}"
_MOBILE_PAREN = rf"(?P<id>\({_SP}?08[1-9]\d{_SP}?\){digits(6, 9)}){END}"
_MOBILE_INTL = rf"(?P<id>{INTL}{SEP}?(?:\(0\){_SP}?|0{SEP}?)?{OPERATOR}{digits(6, 9)}){END}"
_MOBILE_INTL_PAREN = rf"(?P<id>{INTL}{SEP}?\({_SP}?0?{OPERATOR}{_SP}?\){digits(6, 9)}){END}"
_LANDLINE = rf"(?<!\d)(?P<id>0{AREA}{digits(5, 8, NSEP)}){END}"
_LANDLINE_PAREN = rf"(?P<id>\({_SP}?0{AREA}{_SP}?\){digits(5, 8, NSEP)}){END}"
_LANDLINE_INTL = (
    rf"(?P<id>{INTL_STRICT}{SEP}?(?:\({_SP}?0?{AREA}{_SP}?\)|0?{AREA}){digits(5, 8, NSEP)}){END}"
)

_NIK_PLAIN = r"(?<!\d)(?P<id>\d{16})(?!\d)"
_NIK_4444 = rf"(?<!\d)(?P<id>{PROVINCE}\d\d(?:{NSEP}\d{{4}}){{3}}){END}"
_NIK_664 = rf"(?<!\d)(?P<id>{PROVINCE}\d{{4}}{NSEP}\d{{6}}{NSEP}\d{{4}}){END}"
_NIK_22264 = rf"(?<!\d)(?P<id>{PROVINCE}{NSEP}\d\d{NSEP}\d\d{NSEP}\d{{6}}{NSEP}\d{{4}}){END}"
# A cue pattern begins at its key word ("rek", "nik", "nama"), where the masker
# looks for it; words before the key word are tested by lookbehind (kept anyway).
_NIK_CUE = (
    r"(?i:(?:\b(?:nik|ktp|kk|kartu keluarga)|(?<=induk )kependudukan)[ ]?[:.]?[ ]?)"
    rf"(?P<id>\d{digits(13, 17)}){END}"
)
_ACCOUNT_CUE = (
    rf"(?i:\b(?:rekening|rek\.?|norek)(?: (?:bank )?{BANK})?[ ]?[:.]?[ ]?)"
    rf"(?P<id>\d{digits(5, 19)}){END}"
)
_VIRTUAL_ACCOUNT = (
    r"(?i:\b(?:virtual account|va|kode bayar|kode billing)\b[ ]?[:.]?[ ]?)"
    rf"(?P<id>\d{digits(7, 19)}){END}"
)
_PLATE = (
    rf"(?<![A-Za-z0-9]){NOT_SCHOOL}(?P<id>{PLATE_REGION}[ -]\d{{1,4}}[ -][A-Z]{{1,3}})"
    r"(?![A-Za-z0-9])"
)
_PLATE_GLUED = rf"(?<![A-Za-z0-9])(?P<id>{PLATE_REGION}\d{{2,4}}[A-Z]{{1,3}})(?![A-Za-z0-9])"
_PLATE_CUE = (
    r"(?i:(?:\bnopol|(?:(?<=\bno)|(?<=\bno )|(?<=\bno\.)|(?<=\bno\. ))pol\.?"
    r"|\bplat(?: nomor| no\.?)?|\bpelat(?: nomor)?|\btnkb)[ ]?[:.]?[ ]?)"
    r"(?P<id>(?i:[a-z]{1,2})[ -]?\d{1,4}[ -]?(?i:[a-z]{1,3}))(?![A-Za-z0-9])"
)
_LONG_NUMBER = r"(?<!\d)(?P<id>\d{9,})(?!\d)"

# "nama saya" + a capitalised name ("nama saya tidak ada di DTKS" is no name);
# any case after a cue that can only introduce a name
_NAMA_SAYA = rf"(?i:\bnama(?: lengkap)? (?:saya|aku|sy)\b{_CUE_END}){HONORIFIC}(?P<id>{NAME_CAPS})"
_NAMA_SAYA_ADALAH = (
    rf"(?i:(?:(?<=kenalkan )|(?<=kenalkan, ))nama(?: lengkap)? (?:saya|aku|sy)\b"
    rf"(?: (?:adalah|ialah))?{_CUE_END}|\bnama(?: lengkap)? (?:saya|aku|sy) (?:adalah|ialah)"
    rf"{_CUE_END}){HONORIFIC}(?P<id>{NAME_ANY})"
)
_SAYA_BERNAMA = (
    rf"(?i:(?:(?<=\bsaya )|(?<=\baku )|(?<=\bsy ))bernama{_CUE_END}){HONORIFIC}(?P<id>{NAME_ANY})"
)
_FORM_NAME = rf"(?i:\b(?:nama(?: lengkap| pelapor)?|pelapor)[ ]?:[ ]?){HONORIFIC}(?P<id>{NAME_ANY})"
_ATAS_NAMA = rf"(?i:(?<=\batas )nama{_CUE_END}){HONORIFIC}(?P<id>{NAME_CAPS})"
_A_N = rf"(?i:(?<![\w.])a[./]n\.?[ ]?:?[ ]?){HONORIFIC}(?P<id>{NAME_CAPS})"
# "saya" + a capitalised name, where "saya" begins a sentence or a clause or
# follows a greeting word ("dengan saya", "hormat saya"): "kampus saya,
# Universitas ..." is no introduction
_SAYA = (
    r"(?:^|(?<=[.!?\n:;,(])|(?<=[.!?\n:;,(] )"
    r"|(?i:(?<=\bdengan )|(?<=\bdengan, )|(?<=\bhormat )|(?<=\bhormat, )|(?<=kenalkan )"
    r"|(?<=kenalkan, )|(?<=\bini )))"
    rf"(?i:(?:saya|aku)\b(?:,[ \n]| ?, ?| )){HONORIFIC}(?P<id>{NAME_TITLE})"
)

FORMATS: tuple[Format, ...] = (
    # URLs (first: a URL may hold digits and an @)
    _row("url with scheme", "url", _URL, "lihat https://x.id/a?b=1 ya", "lihat <url> ya"),
    _row("url www.", "url", _URL, "buka www.lapor.go.id/aduan sekarang", "buka <url> sekarang"),
    _row("short link", "url", _URL_SHORT, "isi bit.ly/daftar-bansos dulu", "isi <url> dulu"),
    _row("wa.me link", "url", _URL_SHORT, "chat wa.me/6281234567890 min", "chat <url> min"),
    _row(
        "bare domain with a path",
        "url",
        _URL_BARE,
        "fotonya di facebook.com/budi.santoso.77 ya",
        "fotonya di <url> ya",
    ),
    # e-mail
    _row("e-mail", "email", _EMAIL, "kirim ke budi.santoso@gmail.com ya", "kirim ke <email> ya"),
    _row(
        "e-mail with + and .co.id",
        "email",
        _EMAIL,
        "email: siti_r+lapor@yahoo.co.id.",
        "email: <email>.",
    ),
    _row("e-mail in capitals", "email", _EMAIL, "BUDI@MAIL.ID tolong", "<email> tolong"),
    _row(
        "e-mail of a government domain",
        "email",
        _EMAIL,
        "surel ke humas@dinkes.jatengprov.go.id",
        "surel ke <email>",
    ),
    _row(
        "e-mail written with [at] and [dot]",
        "email",
        _EMAIL_OBFUSCATED,
        "email budi [at] gmail [dot] com ya",
        "email <email> ya",
    ),
    _row(
        "e-mail written with (at)",
        "email",
        _EMAIL_OBFUSCATED,
        "ke siti(at)yahoo.co.id",
        "ke <email>",
    ),
    # names, after a self-introduction cue (the cue stays)
    _row(
        "nama saya + name",
        "name",
        _NAMA_SAYA,
        "nama saya Siti Rahasiawati, warga Sleman",
        "nama saya <nama>, warga Sleman",
    ),
    _row(
        "nama saya: + name",
        "name",
        _NAMA_SAYA,
        "Nama saya: Budi Santoso. Jalan rusak",
        "Nama saya: <nama>. Jalan rusak",
    ),
    _row(
        "perkenalkan nama saya, lower case",
        "name",
        _NAMA_SAYA_ADALAH,
        "perkenalkan nama saya siti rahasiawati mau lapor",
        "perkenalkan nama saya <nama> mau lapor",
    ),
    _row(
        "nama saya adalah",
        "name",
        _NAMA_SAYA_ADALAH,
        "nama saya adalah budi santoso, tinggal di Demak",
        "nama saya adalah <nama>, tinggal di Demak",
    ),
    _row(
        "nama saya in capitals",
        "name",
        _NAMA_SAYA,
        "NAMA SAYA SITI AMINAH DARI DEMAK",
        "NAMA SAYA <nama> DARI DEMAK",
    ),
    _row(
        "perkenalkan, nama saya",
        "name",
        _NAMA_SAYA_ADALAH,
        "Perkenalkan, nama saya Dewi Lestari.",
        "Perkenalkan, nama saya <nama>.",
    ),
    _row(
        "saya bernama",
        "name",
        _SAYA_BERNAMA,
        "saya bernama Joko Susilo dari Kab. Demak",
        "saya bernama <nama> dari Kab. Demak",
    ),
    _row(
        "saya + capitalised name",
        "name",
        _SAYA,
        "saya Siti Rahasiawati mau melapor",
        "saya <nama> mau melapor",
    ),
    _row(
        "Saya, name, ...",
        "name",
        _SAYA,
        "Saya, Budi Santoso, warga RT 03",
        "Saya, <nama>, warga RT 03",
    ),
    _row(
        "dengan saya, name",
        "name",
        _SAYA,
        "Selamat pagi, dengan saya, Budi. Mau lapor",
        "Selamat pagi, dengan saya, <nama>. Mau lapor",
    ),
    _row(
        "saya + honorific + name",
        "name",
        _SAYA,
        "saya Ibu Sri Wahyuni, pelanggan PDAM",
        "saya Ibu <nama>, pelanggan PDAM",
    ),
    _row(
        "signature: hormat saya, name",
        "name",
        _SAYA,
        "Hormat saya,\nAgus Salim",
        "Hormat saya,\n<nama>",
    ),
    _row(
        "atas nama + name",
        "name",
        _ATAS_NAMA,
        "sertifikat atas nama Siti Aminah belum jadi",
        "sertifikat atas nama <nama> belum jadi",
    ),
    _row(
        "a.n. + name in capitals",
        "name",
        _A_N,
        "transfer a.n. BUDI SANTOSO kemarin",
        "transfer a.n. <nama> kemarin",
    ),
    _row("a/n + name", "name", _A_N, "rekening a/n Rina Marlina", "rekening a/n <nama>"),
    _row(
        "form field Nama:",
        "name",
        _FORM_NAME,
        "Nama: Agus Salim\nAlamat: Jl. Mawar",
        "Nama: <nama>\nAlamat: Jl. Mawar",
    ),
    _row(
        "form field Pelapor:",
        "name",
        _FORM_NAME,
        "Pelapor: Bapak Hendra Gunawan",
        "Pelapor: Bapak <nama>",
    ),
    # bank accounts and payment codes (before the bare numbers: the cue comes first)
    _row(
        "rek + bank + number", "account", _ACCOUNT_CUE, "rek BRI 1234567890", "rek BRI <rekening>"
    ),
    _row(
        "no rekening, dashes",
        "account",
        _ACCOUNT_CUE,
        "no rekening 1234-5678-90 ya",
        "no rekening <rekening> ya",
    ),
    _row(
        "no. rek., dots",
        "account",
        _ACCOUNT_CUE,
        "no. rek. 123.456.7890",
        "no. rek. <rekening>",
    ),
    _row(
        "rekening + bank + colon",
        "account",
        _ACCOUNT_CUE,
        "rekening BCA: 1234567890 a.n. Budi",
        "rekening BCA: <rekening> a.n. <nama>",
    ),
    _row(
        "rek. Mandiri, grouped",
        "account",
        _ACCOUNT_CUE,
        "ke rek. Mandiri 123-00-0123456-7",
        "ke rek. Mandiri <rekening>",
    ),
    _row("norek", "account", _ACCOUNT_CUE, "norek 0123 4567 89", "norek <rekening>"),
    _row(
        "rekening bank + name",
        "account",
        _ACCOUNT_CUE,
        "rekening Bank Jateng 2-012-34567-8",
        "rekening Bank Jateng <rekening>",
    ),
    _row(
        "virtual account",
        "account",
        _VIRTUAL_ACCOUNT,
        "bayar ke VA 8808123456789012",
        "bayar ke VA <rekening>",
    ),
    # NIK / KK (16 digits: province, regency, district, birth date, serial)
    _row("NIK, 16 digits", "nik", _NIK_PLAIN, "NIK 3303123412340005", "NIK <nik>"),
    _row("NIK, 4-4-4-4 spaces", "nik", _NIK_4444, "3303 1234 1234 0005 saya", "<nik> saya"),
    _row("NIK, 4-4-4-4 dots", "nik", _NIK_4444, "ktp 3303.1234.1234.0005", "ktp <nik>"),
    _row("NIK, 4-4-4-4 dashes", "nik", _NIK_4444, "(3303-1234-1234-0005)", "(<nik>)"),
    _row("NIK, 6-6-4", "nik", _NIK_664, "no 330312 340595 0005", "no <nik>"),
    _row("NIK, 2-2-2-6-4 dots", "nik", _NIK_22264, "33.03.12.340595.0005", "<nik>"),
    _row("KK with cue", "nik", _NIK_CUE, "No. KK: 33 0312 3412 340 005", "No. KK: <nik>"),
    _row(
        "NIK with cue, any grouping",
        "nik",
        _NIK_CUE,
        "NIK: 3303 12 3412 340005 mohon",
        "NIK: <nik> mohon",
    ),
    # mobile numbers
    _row("mobile 08xx, 11 digits", "phone", _MOBILE, "hub 08123456789", "hub <telepon>"),
    _row("mobile 08xx, 13 digits", "phone", _MOBILE, "hp 0812345678901.", "hp <telepon>."),
    _row("mobile 4-4-4 dashes", "phone", _MOBILE, "wa 0812-3456-7890", "wa <telepon>"),
    _row("mobile 4-4-4 spaces", "phone", _MOBILE, "0812 3456 7890 (wa)", "<telepon> (wa)"),
    _row("mobile 4-4-4 dots", "phone", _MOBILE, "telp 0812.3456.7890", "telp <telepon>"),
    _row("mobile 4-3-4", "phone", _MOBILE, "0857-123-4567 ya", "<telepon> ya"),
    _row("mobile in pairs", "phone", _MOBILE, "0812 34 56 78 90", "<telepon>"),
    _row("mobile glued to a word", "phone", _MOBILE, "hp:08123456789", "hp:<telepon>"),
    _row(
        "mobile (0812)",
        "phone",
        _MOBILE_PAREN,
        "(0812) 3456 7890 sore",
        "<telepon> sore",
    ),
    _row("mobile +62 glued", "phone", _MOBILE_INTL, "+6281234567890", "<telepon>"),
    _row("mobile +62 3-4-4 spaces", "phone", _MOBILE_INTL, "+62 813 4444 5555", "<telepon>"),
    _row("mobile +62 dashes", "phone", _MOBILE_INTL, "+62 812-3456-7890", "<telepon>"),
    _row("mobile +62- dashes", "phone", _MOBILE_INTL, "+62-812-3456-7890.", "<telepon>."),
    _row("mobile 62 without +", "phone", _MOBILE_INTL, "wa 6281234567890", "wa <telepon>"),
    _row("mobile 62 spaces", "phone", _MOBILE_INTL, "62 812 3456 7890", "<telepon>"),
    _row("mobile +62 (0)", "phone", _MOBILE_INTL, "+62 (0)812 3456 7890", "<telepon>"),
    _row("mobile +62 0812", "phone", _MOBILE_INTL, "+62 0812 3456 7890", "<telepon>"),
    _row("mobile (+62)", "phone", _MOBILE_INTL, "(+62) 812 3456 7890", "<telepon>"),
    _row("mobile 0062", "phone", _MOBILE_INTL, "0062 812 3456 7890", "<telepon>"),
    _row("mobile +62 (812)", "phone", _MOBILE_INTL_PAREN, "+62 (812) 3456-7890", "<telepon>"),
    # landlines: area code + 5..8 digits
    _row("landline 021-", "phone", _LANDLINE, "telp 021-5551234", "telp <telepon>"),
    _row("landline 021 3-4", "phone", _LANDLINE, "021 555 1234 kantor", "<telepon> kantor"),
    _row("landline 0274 space", "phone", _LANDLINE, "0274 512345", "<telepon>"),
    _row("landline glued", "phone", _LANDLINE, "0215551234", "<telepon>"),
    _row("landline 0361.", "phone", _LANDLINE, "0361.234567", "<telepon>"),
    _row("landline (022)", "phone", _LANDLINE_PAREN, "(022) 7654321", "<telepon>"),
    _row("landline (0274) 3-3", "phone", _LANDLINE_PAREN, "(0274) 512-345", "<telepon>"),
    _row("landline +62 21", "phone", _LANDLINE_INTL, "+62 21 5551234", "<telepon>"),
    _row("landline +62-274", "phone", _LANDLINE_INTL, "+62-274-512345", "<telepon>"),
    _row("landline +62 (21)", "phone", _LANDLINE_INTL, "+62 (21) 555 1234", "<telepon>"),
    # vehicle plates
    _row("plate B 1234 XYZ", "plate", _PLATE, "mobil B 1234 XYZ parkir", "mobil <plat> parkir"),
    _row("plate AB 1234 CD", "plate", _PLATE, "motor AB 1234 CD", "motor <plat>"),
    _row("plate with dashes", "plate", _PLATE, "truk H-8765-AB.", "truk <plat>."),
    _row("plate glued", "plate", _PLATE_GLUED, "nopolnya B1234XYZ", "nopolnya <plat>"),
    _row(
        "plate with cue, lower case",
        "plate",
        _PLATE_CUE,
        "nopol ad 5678 zz kabur",
        "nopol <plat> kabur",
        step="number",  # found by its cue word, as the other cued numbers
    ),
    _row(
        "plate with plat nomor",
        "plate",
        _PLATE_CUE,
        "plat nomor DK 1 ABC",
        "plat nomor <plat>",
        step="number",
    ),
    # any other long run of digits (a card, an account without a cue)
    _row("long digit run", "nik", _LONG_NUMBER, "kartu 123456789012", "kartu <nik>"),
)
