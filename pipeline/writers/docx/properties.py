"""Document properties and settings of the DOCX edition: docProps/core.xml, docProps/app.xml and
word/settings.xml.

python-docx's template says 2013, "python-docx" as the author and Mac Word in app.xml. Here the
core properties are made anew from the article's metadata, with every date from
``options.source_date_epoch`` and "publish <version>" as the last to modify it; app.xml names
publish and the publisher; settings.xml asks for the fonts to be embedded as subsets, mirrored
margins when inner and outer differ, hyphenation for Western text and East Asian layout for CJK.
"""

from __future__ import annotations

import datetime as dt

from pipeline.writers import escape
from pipeline.writers.docx.styles import R_NS, W_NS, _attrs


class _PropertiesMixin:
    """The :class:`~.builder._Builder` steps that write the properties and settings parts.

    They use the builder's ``doc``, ``document``, ``options``, ``settings``, ``metrics`` and
    ``epoch``, ``_clean`` (:mod:`.body`) and ``_lang`` (:mod:`.styles`).
    """

    def settings_xml(self) -> str:
        s = self.settings
        parts = ['<w:zoom w:percent="100"/>', "<w:embedTrueTypeFonts/>", "<w:saveSubsetFonts/>"]
        if s.margin_inner != s.margin_outer:
            parts.append("<w:mirrorMargins/>")
        parts.append(f'<w:defaultTabStop w:val="{self.metrics.em * 2}"/>')
        if not self.metrics.cjk:
            parts.append("<w:autoHyphenation/>")
        parts.append('<w:characterSpacingControl w:val="doNotCompress"/>')
        parts.append(
            "<w:compat>" + ("<w:useFELayout/>" if self.metrics.cjk else "")
            + '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word"'
            ' w:val="15"/></w:compat>'
        )
        parts.append(f"<w:themeFontLang{_attrs(self._lang())}/>")
        parts.append('<w:decimalSymbol w:val="."/><w:listSeparator w:val=","/>')
        return f'<w:settings xmlns:w="{W_NS}" xmlns:r="{R_NS}">{"".join(parts)}</w:settings>'

    def _core_properties(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        from docx.oxml.coreprops import CT_CoreProperties

        meta = self.document.meta
        part = self.doc.part.package.part_related_by(RT.CORE_PROPERTIES)
        part._element = CT_CoreProperties.new()
        props = self.doc.core_properties
        when = dt.datetime.fromtimestamp(self.epoch, tz=dt.timezone.utc).replace(tzinfo=None)
        props.title = self._clean(meta.title)[:255]
        creator = meta.author or meta.byline or meta.publisher
        if creator:
            props.author = self._clean(creator)[:255]
        if meta.subject:
            props.subject = self._clean(meta.subject)[:255]
        if meta.keywords:
            props.keywords = self._clean(", ".join(meta.keywords))[:255]
        if meta.description:
            props.comments = self._clean(meta.description)[:255]
        if meta.identifier:
            props.identifier = self._clean(meta.identifier)[:255]
        props.language = meta.lang
        props.last_modified_by = f"publish {self.options.version}"
        props.revision = 1
        props.created = when
        props.modified = when

    def _app_properties(self) -> None:
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        part = self.doc.part.package.part_related_by(RT.EXTENDED_PROPERTIES)
        company = self.document.meta.publisher
        xml = (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
            ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Application>publish</Application><DocSecurity>0</DocSecurity>"
            + (f"<Company>{escape(self._clean(company))}</Company>" if company else "")
            + "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
            "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
        )
        part._blob = xml.encode("utf-8")
