#!/bin/sh
# Regenerates the text-extraction fixtures from ../../../../testdata/pdf.
# Needs qpdf.
set -eu
cd "$(dirname "$0")"
# Page 1 turned a quarter clockwise, page 2 three quarters: the text stays
# where it was in user space, viewers (and pdftotext) show it turned.
qpdf --rotate=+90:1 --rotate=+270:2 ../../../../testdata/pdf/libreoffice.pdf rotated.pdf
