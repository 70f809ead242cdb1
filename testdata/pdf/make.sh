#!/bin/sh
# Regenerates the PDF fixtures: documents from several producers and the
# structural variants the stamper must handle. Needs libreoffice, ghostscript,
# chromium, poppler and qpdf (Debian: libreoffice-writer-nogui ghostscript
# chromium poppler-utils qpdf fonts-noto-cjk).
set -eu
cd "$(dirname "$0")"
libreoffice --headless --convert-to pdf approval.html >/dev/null && mv approval.pdf libreoffice.pdf
ps2pdf -dCompatibilityLevel=1.7 gs.ps ghostscript.pdf
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
    --no-pdf-header-footer --print-to-pdf=chromium.pdf approval.html
pdftocairo -pdf libreoffice.pdf cairo.pdf
qpdf --qdf --object-streams=disable ghostscript.pdf qdf.pdf
qpdf --object-streams=generate libreoffice.pdf objstm.pdf
qpdf --empty --pages libreoffice.pdf 1 -- onepage.pdf
qpdf --linearize libreoffice.pdf linearized.pdf
qpdf --force-version=1.4 ghostscript.pdf v14.pdf
qpdf --force-version=2.0 libreoffice.pdf v20.pdf
qpdf --encrypt user owner 256 -- ghostscript.pdf encrypted.pdf
head -c 30000 libreoffice.pdf > truncated.pdf
