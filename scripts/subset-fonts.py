#!/usr/bin/python3
"""Makes the screen fonts in assets/fonts from Debian's fonts-noto-cjk.

The app draws text with Noto Sans CJK SC in its original CFF outlines:
go-text (Fyne's shaper) decodes CFF glyphs when they are drawn, whereas it
decodes every TrueType glyph when the font is loaded, which costs about
31 MB of heap per load of the 30,898-glyph NotoSansSC TrueType against
6 MB for this font. The PDF keeps the TrueType files because gofpdf reads
only TrueType outlines.

The subset keeps exactly the characters of the TrueType files (30,890 code
points: GB18030's common set, Latin, punctuation, kana, ...) so the screen
and the PDF cover the same text, and it takes the SC member of the
collection so the default glyph forms are the mainland ones.

Run once by a developer, not by the build (the result is committed):
    apt-get install fonts-noto-cjk python3-fonttools
    /usr/bin/python3 scripts/subset-fonts.py
"""
from fontTools import subset
from fontTools.ttLib import TTFont

SC = 2  # index of Noto Sans CJK SC in the Debian .ttc collections

for weight in ("Regular", "Bold"):
    ref = TTFont(f"assets/fonts/NotoSansSC-{weight}.ttf")
    font = TTFont(f"/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc", fontNumber=SC)
    if font["name"].getDebugName(1) != "Noto Sans CJK SC":
        raise SystemExit(f"member {SC} is {font['name'].getDebugName(1)}, not Noto Sans CJK SC")
    opts = subset.Options()
    opts.layout_features = ["*"]
    # Keep only the glyphs the code points map to; variants reachable
    # through other regions' locl features would double the font.
    opts.layout_closure = False
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    # go-text draws outlines unhinted; the hints are 17% of the font.
    opts.hinting = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=ref.getBestCmap().keys())
    sub.subset(font)
    font.save(f"assets/fonts/NotoSansCJKsc-{weight}.otf")
    print(weight, font["maxp"].numGlyphs, "glyphs")
