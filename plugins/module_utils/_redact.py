# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Take other people's identifiers out of text and JSON values (the subject access package, ``docs/subjects.md``).

A :class:`Redactor` knows two sets of identifiers: the **others'** (object ids, e-mail addresses and UPNs, display
names, other user-record values such as PUIDs) and the **person's own**. It finds an other's identifier inside any
text, in every form a value of the service may hold it:

- any letter case (Unicode case folding: ``BJÖRN ØDEGÅRD`` is ``Björn Ødegård``), composed or decomposed (NFC, NFD),
  and for names also without accents (``Bjorn Odegard``, ``Chloe Dubois-Martin``);
- percent-encoded (``anna.svensson%40contoso.example``, ``Bj%C3%B6rn%20%C3%98deg%C3%A5rd``; hex digits in either case),
  JSON-escaped (``Bj\\u00f6rn``), or both mixed with plain characters;
- object ids also without hyphens (``f74592bdcec8...``); e-mail addresses also in the guest UPN form Azure AD derives
  from them (``jane.doe_fabrikam.com#EXT#``) and as their alias alone (``jane.doe``, from :data:`MIN_LOCAL_PART`
  characters on: a data asset's folder ``customers/jane.doe/``);
- names with any run of separators between their words (space, ``+``, ``.``, ``_``, ``-``, ``,``, ``%20``: so
  ``anna.svensson`` and ``Svensson, Anna`` are found too).

Every identifier is found anywhere, also inside a longer word (``Anna Svenssons``, ``xanna.svensson@contoso.example``):
no byte of the result spells an other's identifier, at the price of over-redacting around very short names
(``Eva Ek`` inside ``Eva Eklund``). Identifiers shorter than :data:`MIN_LENGTH` characters are not searched in text
(they would match everywhere).
An occurrence that lies inside an occurrence of one of the person's own identifiers stays (the person ``Ann Lee``
keeps their name when someone else is called ``Ann``); one that reaches beyond it is replaced.

:func:`redact_tree` applies it to a JSON value at any depth, keys included, and replaces the values at given paths
whole (the identity fields of a user record that is not the person's). :meth:`Redactor.scan` tells whether bytes
(a file) hold an other's identifier.
"""

import codecs
import re
import unicodedata

from ansible_collections.gdpr.azureml.plugins.module_utils._routes import GUID_RE
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import pattern_path

MARKER = '[redacted]'
MIN_LENGTH = 3
# An address's local part (its alias) is searched alone too when it is at least this long: people name folders, files
# and tags after their alias; a shorter one (``ab``, ``info``) would mostly match other words.
MIN_LOCAL_PART = 5
# The types of identifiers: names are matched as words with flexible separators, the others anywhere.
TYPES = ('object_id', 'address', 'name', 'other')
_UNRESERVED = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~')
_NAME_SEPARATORS = re.compile(r'[\s+_.,\-]+')
_SEPARATOR = r'(?:[\s+_.,\-]|%20|%2[bBcCdDeE]|%5[fF]|\\u00[aA]0|\\u0020)+'
_JSON_ESCAPED = frozenset('"\\/<>&\'')
# Letters that Unicode does not decompose into a base letter and an accent.
_FOLD = {'ø': 'o', 'Ø': 'O', 'æ': 'ae', 'Æ': 'AE', 'ß': 'ss', 'ł': 'l', 'Ł': 'L', 'đ': 'd', 'Đ': 'D', 'þ': 'th', 'Þ': 'Th',
         'œ': 'oe', 'Œ': 'OE', 'ı': 'i', 'ð': 'd', 'Ð': 'D'}


def fold_ascii(text):
    """``text`` without accents (``Chloé Dubois-Martín`` -> ``Chloe Dubois-Martin``, ``Ødegård`` -> ``Odegard``)."""
    decomposed = unicodedata.normalize('NFKD', str(text))
    return ''.join(_FOLD.get(ch, ch) for ch in decomposed if not unicodedata.combining(ch))


def _plain_forms(ch):
    """One character as itself, percent-encoded (UTF-8) and JSON-escaped (regular expressions)."""
    forms = {re.escape(ch)}
    if ch not in _UNRESERVED:
        forms.add(''.join('%%%02X' % b for b in ch.encode('utf-8', 'surrogatepass')))
    code = ord(ch)
    if code > 0x7E or ch in _JSON_ESCAPED or code < 0x20:
        if code > 0xFFFF:
            code -= 0x10000
            forms.add(re.escape('\\u%04x\\u%04x' % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))))
        else:
            forms.add(re.escape('\\u%04x' % code))
    return forms


def _group(forms):
    if len(forms) == 1:
        return next(iter(forms))
    return '(?:' + '|'.join(sorted(forms, key=lambda a: (-len(a), a))) + ')'


def _char_pattern(ch, fold=False):
    """A character as the regular expression of its forms: any case, composed or decomposed (and, with ``fold``,
    without its accent), each character plain, percent-encoded or JSON-escaped."""
    alternatives = set()
    for variant in {v for v in (ch, ch.lower(), ch.upper()) if len(v) == 1}:
        alternatives.update(_plain_forms(variant))
        sequences = {unicodedata.normalize('NFD', variant)} | ({fold_ascii(variant)} if fold else set())
        for sequence in sequences:
            if sequence and sequence != variant:
                alternatives.add(''.join(_group(_plain_forms(c)) for c in sequence))
    return _group(alternatives)


def _literal_pattern(text, fold=False):
    return ''.join(_char_pattern(ch, fold) for ch in text)


def _name_patterns(name):
    """The patterns of a display name: its words (in order and reversed) joined by any run of separators."""
    patterns = set()
    words = [w for w in _NAME_SEPARATORS.split(unicodedata.normalize('NFC', name).strip()) if w]
    if not words:
        return patterns
    for order in [words] + ([list(reversed(words))] if len(words) > 1 else []):
        patterns.add(_SEPARATOR.join(_literal_pattern(w, fold=True) for w in order))
    return patterns


def identifier_patterns(type_, value):
    """The regular expressions (strings) that find ``value`` of ``type_`` (see :data:`TYPES`) in text; none when too short."""
    value = str(value or '').strip()
    if len(value) < MIN_LENGTH:
        return set()
    if type_ == 'name':
        return _name_patterns(value)
    forms = {unicodedata.normalize('NFC', value)}
    if type_ == 'object_id' or GUID_RE.match(value):
        forms.add(value.replace('-', ''))
    if type_ == 'address' and value.count('@') == 1 and '#' not in value:
        local, domain = value.split('@')
        if local and domain:
            forms.add(f'{local}_{domain}#EXT#')  # the guest UPN Azure AD derives from the address
            if len(local) >= MIN_LOCAL_PART:  # the alias alone (a folder ``customers/chloe.dubois/``, a tag ``owner``)
                forms.add(local)
    return {_literal_pattern(form) for form in forms if len(form) >= MIN_LENGTH}


def _compile(identifiers):
    """``(one expression finding every identifier, [expression of each identifier])``; ``(None, [])`` for none."""
    each = {}
    for type_, value in identifiers:
        patterns = identifier_patterns(type_, value)
        if patterns:
            # the longest form first: an address wins over its alias alone (``jane.doe@x`` is one occurrence, not ``jane.doe``)
            each.setdefault('|'.join(sorted(patterns, key=lambda p: (-len(p), p))), None)
    if not each:
        return None, []
    combined = re.compile('|'.join(sorted(each, key=lambda p: (-len(p), p))), re.IGNORECASE)
    return combined, [re.compile(p, re.IGNORECASE) for p in sorted(each)]


class Redactor:
    """Finds and replaces the identifiers of other people in text (see the module docstring).

    :param others: ``(type, value)`` pairs: the identifiers to take out.
    :param own: ``(type, value)`` pairs: the person's own identifiers, kept wherever they are.
    """

    def __init__(self, others=(), own=(), marker=MARKER):
        self.marker = marker
        self._others, self._each_other = _compile(others)
        self._own = _compile(own)[0]
        # The longest text one occurrence can take (a percent-encoded four-byte character is 12 characters long).
        self.window = 12 * max([len(str(v)) for _t, v in others] or [0]) + 64

    def spans(self, text):
        """``[(start, end)]`` of the others' identifiers in ``text``, merged, sorted; the person's own left out."""
        if self._others is None or not text:
            return []
        own = [m.span() for m in self._own.finditer(text)] if self._own is not None else []
        found = []
        pos = 0
        while pos <= len(text):
            m = self._others.search(text, pos)
            if m is None:
                break
            start = m.start()
            # The longest identifier that starts here (an alternation stops at the first one that matches).
            end = max(e.end() for e in (p.match(text, start) for p in self._each_other) if e is not None)
            pos = start + 1  # overlapping occurrences too: one inside the person's own identifier may hide a longer one
            if end > start and not any(a <= start and end <= b for a, b in own):
                found.append((start, end))
        merged = []
        for start, end in sorted(found):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def redact_text(self, text):
        """``(text with every other's identifier replaced by the marker, number of replacements)``."""
        spans = self.spans(text)
        if not spans:
            return text, 0
        out, last = [], 0
        for start, end in spans:
            out.append(text[last:start])
            out.append(self.marker)
            last = end
        out.append(text[last:])
        return ''.join(out), len(spans)

    def contains(self, text):
        return bool(self.spans(text))

    def scan(self, chunks):
        """Whether bytes (an iterable of chunks, read as UTF-8 text) hold an other's identifier. Occurrences across
        chunk boundaries are found (each chunk is searched with the end of the one before)."""
        if self._others is None:
            for _chunk in chunks:
                pass
            return False
        decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')
        tail = ''
        for chunk in chunks:
            text = tail + decoder.decode(chunk)
            if self.spans(text):
                return True
            tail = text[-self.window:]
        return bool(self.spans(tail + decoder.decode(b'', final=True)))


def _format(path):
    return pattern_path(path) or '(value)'


def redact_tree(value, redactor, whole=()):
    """``(copy of value with the others' identifiers replaced, {field: replacements})``.

    Every key and every string at any depth goes through ``redactor``; the values at the paths in ``whole`` (tuples of
    keys and list indexes of ``value``, as they are before redaction) are replaced whole by the marker. Fields are
    reported as JSON paths without list indexes and with the keys as they are after redaction
    (``tags["[redacted]"]``); a replaced key is reported as ``<path of its object> (key)``. Keys that become equal are
    told apart by a number (``[redacted] (2)``), in the order of the keys; a key left as it is keeps its name.
    """
    found = {}
    return _walk(value, redactor, frozenset(whole), ((), ()), found), found


def _count(found, field, n=1):
    found[field] = found.get(field, 0) + n


def _walk(value, redactor, whole, paths, found):
    path, out_path = paths
    if path in whole:
        if value is None or value == '':
            return value
        _count(found, _format(out_path))
        return redactor.marker
    if isinstance(value, dict):
        renamed = {}
        for key in value:
            text, count = redactor.redact_text(str(key))
            if count:
                _count(found, (_format(out_path) + ' (key)') if out_path else '(key)', count)
                renamed[key] = text
        taken = {str(k) for k in value if k not in renamed}
        new = {}
        for key in value:
            name = str(key)
            if key in renamed:  # a redacted key takes the first free name: keys left as they are keep theirs
                name, n = renamed[key], 1
                while name in taken:
                    n += 1
                    name = f'{renamed[key]} ({n})'
                taken.add(name)
            new[name] = _walk(value[key], redactor, whole, (path + (str(key),), out_path + (name,)), found)
        return new
    if isinstance(value, list):
        return [_walk(item, redactor, whole, (path + (i,), out_path + (i,)), found) for i, item in enumerate(value)]
    if isinstance(value, str):
        text, count = redactor.redact_text(value)
        if count:
            _count(found, _format(out_path), count)
        return text
    return value
