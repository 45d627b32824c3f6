// Ported from go.yaml.in/yaml/v3 v3.0.4, emitterc.go:
//
// Copyright (c) 2011-2019 Canonical Ltd
// Copyright (c) 2006-2010 Kirill Simonov
//
// Permission is hereby granted, free of charge, to any person obtaining a copy of
// this software and associated documentation files (the "Software"), to deal in
// the Software without restriction, including without limitation the rights to
// use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
// of the Software, and to permit persons to whom the Software is furnished to do
// so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
// SOFTWARE.

package yaml

import "strings"

// This file is a port of the part of go.yaml.in/yaml/v3's emitter
// (emitterc.go, v3.0.4, the version sops 3.13 uses; itself a port of
// libyaml's emitter.c) that sops' output reaches: block mappings and
// sequences, empty flow collections, scalars in every style, tags, and the
// head/line/foot/tail comment registers with their odd placement rules. It
// consumes the events yaml.v3's encoder would produce (direct.go generates
// them from the tree) and keeps the same state: column, whitespace and
// indention flags, indent stack, foot indent. Functions keep yaml.v3's
// names in comments so that they can be compared line by line.
//
// Left out, because sops' trees never reach them: anchors and aliases,
// non-empty flow collections, folded scalars, canonical mode, directives,
// other encodings and line breaks. The line width is unlimited (yaml.v3's
// default), so the width-dependent line folding never happens. Whatever is
// left out makes the direct emitter give up (errFallback).

type emState uint8

const (
	stFirstDocStart emState = iota
	stDocStart
	stDocContent
	stDocEnd
	stFlowSeqFirstItem
	stFlowMapFirstKey
	stBlockSeqFirstItem
	stBlockSeqItem
	stBlockMapFirstKey
	stBlockMapKey
	stBlockMapSimpleValue
	stBlockMapValue
)

type evKind uint8

const (
	evDocStart evKind = iota
	evDocEnd
	evMapStart
	evMapEnd
	evSeqStart
	evSeqEnd
	evScalar
)

type sStyle uint8

const (
	sPlain sStyle = iota
	sSingle
	sDouble
	sLiteral
	sFolded
)

// event is a yaml.v3 event as the encoder builds it for sops' nodes.
type event struct {
	kind                   evKind
	head, line, foot, tail string
	// empty marks a start event directly followed by its end event (the
	// emitter's look-ahead check_empty_mapping / check_empty_sequence).
	empty bool

	// Scalar events.
	value          string
	handle, suffix string // explicit tag, empty when implicit
	style          sStyle // requested style
	analyzed       bool   // info already holds analyzeScalar(value)
	info           scalarInfo
}

// scalarInfo is yaml_emitter_analyze_scalar's result (unicode output on).
type scalarInfo struct {
	multiline, flowPlain, blockPlain, single, block bool
	// ascii: the value is printable ASCII (analyzeASCII), one column a byte.
	ascii bool
}

type emitter struct {
	out []byte
	// cmp, when set, is what the output must be (emitDirectCmp): out is
	// compared with it and emptied every cmpChunk bytes; cmpPos is how
	// much of it matched so far.
	cmp    []byte
	cmpPos int

	bestIndent int

	state     emState
	states    []emState
	indent    int
	indents   []int
	flowLevel int

	column     int
	whitespace bool
	indention  bool
	footIndent int

	// Comment registers: set from an event when non-empty, cleared when
	// written (yaml_emitter_analyze_event, process_*_comment).
	head, line, foot, tail, keyLine string

	rootCtx, seqCtx, mapCtx, simpleKeyCtx bool

	// Current scalar (yaml_emitter_t.scalar_data, tag_data).
	sValue         string
	sInfo          scalarInfo
	sStyle         sStyle
	handle, suffix string
}

// init is yaml_emitter_emit_stream_start.
func (e *emitter) init(indent int) {
	if indent < 2 || indent > 9 {
		indent = 2
	}
	e.bestIndent = indent
	e.indent = -1
	e.column = 0
	e.whitespace = true
	e.indention = true
	e.footIndent = -1
	e.state = stFirstDocStart
}

// emit is yaml_emitter_emit for one event: analyze, then the state machine.
func (e *emitter) emit(ev *event) error {
	if e.cmp != nil && len(e.out) >= cmpChunk {
		e.flushCmp()
	}
	e.handle, e.suffix = "", ""
	if ev.head != "" {
		e.head = ev.head
	}
	if ev.line != "" {
		e.line = ev.line
	}
	if ev.foot != "" {
		e.foot = ev.foot
	}
	if ev.tail != "" {
		e.tail = ev.tail
	}
	if ev.kind == evScalar {
		e.handle, e.suffix = ev.handle, ev.suffix
		e.sValue = ev.value
		if ev.analyzed {
			e.sInfo = ev.info
		} else {
			e.sInfo = analyzeScalar(ev.value)
		}
	}
	switch e.state {
	case stFirstDocStart:
		return e.documentStart(ev, true)
	case stDocStart:
		return e.documentStart(ev, false)
	case stDocContent:
		return e.documentContent(ev)
	case stDocEnd:
		return e.documentEnd(ev)
	case stFlowSeqFirstItem:
		return e.flowSequenceItem(ev)
	case stFlowMapFirstKey:
		return e.flowMappingKey(ev)
	case stBlockSeqFirstItem:
		return e.blockSequenceItem(ev, true)
	case stBlockSeqItem:
		return e.blockSequenceItem(ev, false)
	case stBlockMapFirstKey:
		return e.blockMappingKey(ev, true)
	case stBlockMapKey:
		return e.blockMappingKey(ev, false)
	case stBlockMapSimpleValue:
		return e.blockMappingValue(ev, true)
	case stBlockMapValue:
		return e.blockMappingValue(ev, false)
	}
	return errFallback
}

func (e *emitter) pushState(s emState) { e.states = append(e.states, s) }

func (e *emitter) popState() {
	e.state = e.states[len(e.states)-1]
	e.states = e.states[:len(e.states)-1]
}

func (e *emitter) popIndent() {
	e.indent = e.indents[len(e.indents)-1]
	e.indents = e.indents[:len(e.indents)-1]
}

// increaseIndent is yaml_emitter_increase_indent.
func (e *emitter) increaseIndent(flow, indentless bool) {
	e.indents = append(e.indents, e.indent)
	if e.indent < 0 {
		if flow {
			e.indent = e.bestIndent
		} else {
			e.indent = 0
		}
	} else if !indentless {
		if e.states[len(e.states)-1] == stBlockSeqItem {
			e.indent += 2
		} else {
			e.indent = e.bestIndent * ((e.indent + e.bestIndent) / e.bestIndent)
		}
	}
}

// documentStart is yaml_emitter_emit_document_start (implicit documents,
// no directives).
func (e *emitter) documentStart(ev *event, first bool) error {
	if ev.kind != evDocStart {
		return errFallback
	}
	if !first {
		e.writeIndent()
		e.writeIndicator("---", true, false, false)
		e.writeIndent()
	}
	if e.head != "" {
		e.processHeadComment()
		e.putBreak()
	}
	e.state = stDocContent
	return nil
}

func (e *emitter) documentContent(ev *event) error {
	e.pushState(stDocEnd)
	e.processHeadComment()
	if err := e.emitNode(ev, true, false, false, false); err != nil {
		return err
	}
	e.processLineComment()
	e.processFootComment()
	return nil
}

func (e *emitter) documentEnd(ev *event) error {
	if ev.kind != evDocEnd {
		return errFallback
	}
	e.footIndent = 0
	e.processFootComment()
	e.footIndent = -1
	e.writeIndent()
	e.state = stDocStart
	return nil
}

// flowSequenceItem is yaml_emitter_emit_flow_sequence_item for an empty
// sequence: the only item it meets is the end.
func (e *emitter) flowSequenceItem(ev *event) error {
	e.writeIndicator("[", true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	if ev.kind != evSeqEnd {
		return errFallback
	}
	e.flowLevel--
	e.popIndent()
	if e.column == 0 {
		e.writeIndent()
	}
	e.writeIndicator("]", false, false, false)
	e.processLineComment()
	e.processFootComment()
	e.popState()
	return nil
}

// flowMappingKey is yaml_emitter_emit_flow_mapping_key for an empty
// mapping.
func (e *emitter) flowMappingKey(ev *event) error {
	e.writeIndicator("{", true, true, false)
	e.increaseIndent(true, false)
	e.flowLevel++
	if ev.kind != evMapEnd {
		return errFallback
	}
	e.processHeadComment()
	e.flowLevel--
	e.popIndent()
	e.writeIndicator("}", false, false, false)
	e.processLineComment()
	e.processFootComment()
	e.popState()
	return nil
}

func (e *emitter) blockSequenceItem(ev *event, first bool) error {
	if first {
		e.increaseIndent(false, false)
	}
	if ev.kind == evSeqEnd {
		e.popIndent()
		e.popState()
		return nil
	}
	e.processHeadComment()
	e.writeIndent()
	e.writeIndicator("-", true, false, true)
	e.pushState(stBlockSeqItem)
	if err := e.emitNode(ev, false, true, false, false); err != nil {
		return err
	}
	e.processLineComment()
	e.processFootComment()
	return nil
}

func (e *emitter) blockMappingKey(ev *event, first bool) error {
	if first {
		e.increaseIndent(false, false)
	}
	e.processHeadComment()
	if ev.kind == evMapEnd {
		e.popIndent()
		e.popState()
		return nil
	}
	e.writeIndent()
	if e.line != "" {
		e.keyLine = e.line
		e.line = ""
	}
	if e.checkSimpleKey(ev) {
		e.pushState(stBlockMapSimpleValue)
		return e.emitNode(ev, false, false, true, true)
	}
	e.writeIndicator("?", true, false, true)
	e.pushState(stBlockMapValue)
	return e.emitNode(ev, false, false, true, false)
}

func (e *emitter) blockMappingValue(ev *event, simple bool) error {
	if simple {
		e.writeIndicator(":", false, false, false)
	} else {
		e.writeIndent()
		e.writeIndicator(":", true, false, true)
	}
	if e.keyLine != "" {
		switch ev.kind {
		case evScalar:
			if e.line == "" {
				e.line, e.keyLine = e.keyLine, ""
			}
		case evMapStart, evSeqStart:
			e.line, e.keyLine = e.keyLine, e.line
			e.processLineComment()
			e.line, e.keyLine = e.keyLine, e.line
		}
	}
	e.pushState(stBlockMapKey)
	if err := e.emitNode(ev, false, false, true, false); err != nil {
		return err
	}
	e.processLineComment()
	e.processFootComment()
	return nil
}

func (e *emitter) emitNode(ev *event, root, seq, mapping, simpleKey bool) error {
	e.rootCtx, e.seqCtx, e.mapCtx, e.simpleKeyCtx = root, seq, mapping, simpleKey
	switch ev.kind {
	case evScalar:
		return e.emitScalar(ev)
	case evSeqStart:
		if e.flowLevel > 0 || ev.empty {
			e.state = stFlowSeqFirstItem
		} else {
			e.state = stBlockSeqFirstItem
		}
		return nil
	case evMapStart:
		if e.flowLevel > 0 || ev.empty {
			e.state = stFlowMapFirstKey
		} else {
			e.state = stBlockMapFirstKey
		}
		return nil
	}
	return errFallback
}

func (e *emitter) emitScalar(ev *event) error {
	if err := e.selectScalarStyle(ev); err != nil {
		return err
	}
	e.processTag()
	e.increaseIndent(true, false)
	switch e.sStyle {
	case sPlain:
		e.writePlain(e.sValue)
	case sSingle:
		e.writeSingleQuoted(e.sValue)
	case sDouble:
		e.writeDoubleQuoted(e.sValue)
	case sLiteral:
		e.writeLiteral(e.sValue)
	default:
		return errFallback
	}
	e.popIndent()
	e.popState()
	return nil
}

// checkSimpleKey is yaml_emitter_check_simple_key.
func (e *emitter) checkSimpleKey(ev *event) bool {
	switch ev.kind {
	case evScalar:
		if e.sInfo.multiline {
			return false
		}
		return len(e.handle)+len(e.suffix)+len(e.sValue) <= 128
	case evSeqStart, evMapStart:
		return ev.empty
	}
	return false
}

// selectScalarStyle is yaml_emitter_select_scalar_style.
func (e *emitter) selectScalarStyle(ev *event) error {
	noTag := e.handle == "" && e.suffix == ""
	implicit := ev.handle == "" && ev.suffix == ""
	if noTag && !implicit {
		return errFallback
	}
	style := ev.style
	if e.simpleKeyCtx && e.sInfo.multiline {
		style = sDouble
	}
	if style == sPlain {
		if e.flowLevel > 0 && !e.sInfo.flowPlain || e.flowLevel == 0 && !e.sInfo.blockPlain {
			style = sSingle
		}
		if e.sValue == "" && (e.flowLevel > 0 || e.simpleKeyCtx) {
			style = sSingle
		}
	}
	if style == sSingle && !e.sInfo.single {
		style = sDouble
	}
	if (style == sLiteral || style == sFolded) && (!e.sInfo.block || e.flowLevel > 0 || e.simpleKeyCtx) {
		style = sDouble
	}
	e.sStyle = style
	return nil
}

// processTag is yaml_emitter_process_tag for a tag with a handle.
func (e *emitter) processTag() {
	if e.handle == "" && e.suffix == "" {
		return
	}
	if !e.whitespace {
		e.put(' ')
	}
	e.writeAll(e.handle)
	// The suffix is alphanumerical (direct.go checks), so
	// yaml_emitter_write_tag_content copies it unescaped.
	e.writeAll(e.suffix)
	e.whitespace = false
	e.indention = false
}

func (e *emitter) processHeadComment() {
	if e.tail != "" {
		e.writeIndent()
		e.writeComment(e.tail)
		e.tail = ""
		e.footIndent = max(e.indent, 0)
	}
	if e.head == "" {
		return
	}
	e.writeIndent()
	e.writeComment(e.head)
	e.head = ""
}

func (e *emitter) processLineComment() {
	if e.line == "" {
		return
	}
	if !e.whitespace {
		e.put(' ')
	}
	e.writeComment(e.line)
	e.line = ""
}

func (e *emitter) processFootComment() {
	if e.foot == "" {
		return
	}
	e.writeIndent()
	e.writeComment(e.foot)
	e.foot = ""
	e.footIndent = max(e.indent, 0)
}

// Output primitives: put, put_break, write, write_all, write_break.

func (e *emitter) put(c byte) {
	e.out = append(e.out, c)
	e.column++
}

func (e *emitter) putBreak() {
	e.out = append(e.out, '\n')
	e.column = 0
	e.indention = true
}

// write copies the character at s[i] and returns its width.
func (e *emitter) write(s string, i int) int {
	w := width(s[i])
	if w == 0 {
		// yaml.v3 panics ("unknown character width"), and so the yaml.v3
		// path fails.
		panic(errFallback)
	}
	e.out = append(e.out, s[i:i+w]...)
	e.column++
	return w
}

func (e *emitter) writeAll(s string) {
	for i := 0; i < len(s); {
		i += e.write(s, i)
	}
}

func (e *emitter) writeBreak(s string, i int) int {
	if s[i] == '\n' {
		e.putBreak()
		return 1
	}
	w := e.write(s, i)
	e.column = 0
	e.indention = true
	return w
}

func (e *emitter) writeIndent() {
	indent := max(e.indent, 0)
	if !e.indention || e.column > indent || (e.column == indent && !e.whitespace) {
		e.putBreak()
	}
	if e.footIndent == indent {
		e.putBreak()
	}
	for e.column < indent {
		e.put(' ')
	}
	e.whitespace = true
	e.footIndent = -1
}

func (e *emitter) writeIndicator(ind string, needWhitespace, isWhitespace, isIndention bool) {
	if needWhitespace && !e.whitespace {
		e.put(' ')
	}
	e.writeAll(ind)
	e.whitespace = isWhitespace
	e.indention = e.indention && isIndention
}

// writeComment is yaml_emitter_write_comment.
func (e *emitter) writeComment(c string) {
	breaks, pound := false, false
	for i := 0; i < len(c); {
		if isBreak(c, i) {
			i += e.writeBreak(c, i)
			breaks, pound = true, false
			continue
		}
		if breaks {
			e.writeIndent()
		}
		if !pound {
			if c[i] != '#' {
				e.put('#')
				e.put(' ')
			}
			pound = true
		}
		i += e.write(c, i)
		e.indention = false
		breaks = false
	}
	if !breaks {
		e.putBreak()
	}
	e.whitespace = true
}

// Scalar writers. With unlimited width, the breaks yaml.v3 inserts at
// spaces past best_width never happen.

func (e *emitter) writePlain(v string) {
	if len(v) > 0 && !e.whitespace {
		e.put(' ')
	}
	if !e.sInfo.multiline {
		e.out = append(e.out, v...)
		if e.sInfo.ascii {
			e.column += len(v)
		} else {
			e.column += runeCount(v)
		}
		if len(v) > 0 {
			e.whitespace = false
		}
		e.indention = false
		return
	}
	breaks := false
	for i := 0; i < len(v); {
		switch {
		case v[i] == ' ':
			i += e.write(v, i)
		case isBreak(v, i):
			if !breaks && v[i] == '\n' {
				e.putBreak()
			}
			i += e.writeBreak(v, i)
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			i += e.write(v, i)
			e.indention = false
			breaks = false
		}
	}
	if len(v) > 0 {
		e.whitespace = false
	}
	e.indention = false
}

func runeCount(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

func (e *emitter) writeSingleQuoted(v string) {
	e.writeIndicator("'", true, false, false)
	breaks := false
	for i := 0; i < len(v); {
		switch {
		case v[i] == ' ':
			i += e.write(v, i)
		case isBreak(v, i):
			if !breaks && v[i] == '\n' {
				e.putBreak()
			}
			i += e.writeBreak(v, i)
			breaks = true
		default:
			if breaks {
				e.writeIndent()
			}
			if v[i] == '\'' {
				e.put('\'')
			}
			i += e.write(v, i)
			e.indention = false
			breaks = false
		}
	}
	e.writeIndicator("'", false, false, false)
	e.whitespace = false
	e.indention = false
}

const hexDigits = "0123456789ABCDEF"

func (e *emitter) writeDoubleQuoted(v string) {
	e.writeIndicator("\"", true, false, false)
	// yaml.v3's is_bom(value, i) looks at the start of the value, not at
	// i: a value starting with a BOM has every character escaped.
	bom := strings.HasPrefix(v, "\uFEFF")
	for i := 0; i < len(v); {
		if !bom && isPrintable(v, i) && !isBreak(v, i) && v[i] != '"' && v[i] != '\\' {
			i += e.write(v, i)
			continue
		}
		octet := v[i]
		var w int
		var r rune
		switch {
		case octet&0x80 == 0x00:
			w, r = 1, rune(octet&0x7F)
		case octet&0xE0 == 0xC0:
			w, r = 2, rune(octet&0x1F)
		case octet&0xF0 == 0xE0:
			w, r = 3, rune(octet&0x0F)
		case octet&0xF8 == 0xF0:
			w, r = 4, rune(octet&0x07)
		}
		for k := 1; k < w; k++ {
			r = r<<6 + rune(v[i+k])&0x3F
		}
		i += w
		e.put('\\')
		switch r {
		case 0x00:
			e.put('0')
		case 0x07:
			e.put('a')
		case 0x08:
			e.put('b')
		case 0x09:
			e.put('t')
		case 0x0A:
			e.put('n')
		case 0x0b:
			e.put('v')
		case 0x0c:
			e.put('f')
		case 0x0d:
			e.put('r')
		case 0x1b:
			e.put('e')
		case 0x22:
			e.put('"')
		case 0x5c:
			e.put('\\')
		case 0x85:
			e.put('N')
		case 0xA0:
			e.put('_')
		case 0x2028:
			e.put('L')
		case 0x2029:
			e.put('P')
		default:
			switch {
			case r <= 0xFF:
				e.put('x')
				w = 2
			case r <= 0xFFFF:
				e.put('u')
				w = 4
			default:
				e.put('U')
				w = 8
			}
			for k := (w - 1) * 4; k >= 0; k -= 4 {
				e.put(hexDigits[(r>>uint(k))&0x0F])
			}
		}
	}
	e.writeIndicator("\"", false, false, false)
	e.whitespace = false
	e.indention = false
}

// writeBlockHints is yaml_emitter_write_block_scalar_hints.
func (e *emitter) writeBlockHints(v string) {
	if v[0] == ' ' || isBreak(v, 0) {
		e.writeIndicator(string(rune('0'+e.bestIndent)), false, false, false)
	}
	chomp := ""
	i := len(v) - 1
	for v[i]&0xC0 == 0x80 {
		i--
	}
	switch {
	case !isBreak(v, i):
		chomp = "-"
	case i == 0:
		chomp = "+"
	default:
		i--
		for v[i]&0xC0 == 0x80 {
			i--
		}
		if isBreak(v, i) {
			chomp = "+"
		}
	}
	if chomp != "" {
		e.writeIndicator(chomp, false, false, false)
	}
}

func (e *emitter) writeLiteral(v string) {
	e.writeIndicator("|", true, false, false)
	e.writeBlockHints(v)
	// yaml_emitter_process_line_comment_linebreak(emitter, true), new in
	// go.yaml.in/yaml/v3: without a line comment, the line break after
	// the header is written here, so that a value starting with a line
	// break keeps it (go-yaml issue 755; v3.0.1 lost it).
	if e.line == "" {
		e.putBreak()
	}
	e.processLineComment()
	e.whitespace = true
	breaks := true
	for i := 0; i < len(v); {
		if isBreak(v, i) {
			i += e.writeBreak(v, i)
			breaks = true
			continue
		}
		if breaks {
			e.writeIndent()
		}
		i += e.write(v, i)
		e.indention = false
		breaks = false
	}
}

// analyzeScalar is yaml_emitter_analyze_scalar with unicode output on; v
// must be valid UTF-8.
func analyzeScalar(v string) scalarInfo {
	if len(v) == 0 {
		return scalarInfo{blockPlain: true, single: true}
	}
	if a, ok := analyzeASCII(v); ok {
		return a
	}
	var blockInd, flowInd, lineBreaks, special, tabs bool
	var leadingSpace, leadingBreak, trailingSpace, trailingBreak, breakSpace, spaceBreak bool
	if len(v) >= 3 && (v[:3] == "---" || v[:3] == "...") {
		blockInd, flowInd = true, true
	}
	preceded, prevSpace, prevBreak := true, false, false
	for i, w := 0, 0; i < len(v); i += w {
		w = width(v[i])
		followed := i+w >= len(v) || v[i+w] == ' ' || v[i+w] == '\t'
		c := v[i]
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				flowInd, blockInd = true, true
			case '?', ':':
				flowInd = true
				if followed {
					blockInd = true
				}
			case '-':
				if followed {
					flowInd, blockInd = true, true
				}
			}
		} else {
			switch c {
			case ',', '?', '[', ']', '{', '}':
				flowInd = true
			case ':':
				flowInd = true
				if followed {
					blockInd = true
				}
			case '#':
				if preceded {
					flowInd, blockInd = true, true
				}
			}
		}
		if c == '\t' {
			tabs = true
		} else if !isPrintable(v, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+1 == len(v) {
				trailingSpace = true
			}
			if prevBreak {
				breakSpace = true
			}
			prevSpace, prevBreak = true, false
		case isBreak(v, i):
			lineBreaks = true
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(v) {
				trailingBreak = true
			}
			if prevSpace {
				spaceBreak = true
			}
			prevSpace, prevBreak = false, true
		default:
			prevSpace, prevBreak = false, false
		}
		preceded = isBlankz(v, i)
	}
	a := scalarInfo{multiline: lineBreaks, flowPlain: true, blockPlain: true, single: true, block: true}
	if leadingSpace || leadingBreak || trailingSpace || trailingBreak {
		a.flowPlain, a.blockPlain = false, false
	}
	if trailingSpace {
		a.block = false
	}
	if breakSpace {
		a.flowPlain, a.blockPlain, a.single = false, false, false
	}
	if spaceBreak || tabs || special {
		a.flowPlain, a.blockPlain, a.single = false, false, false
	}
	if spaceBreak || special {
		a.block = false
	}
	if lineBreaks {
		a.flowPlain, a.blockPlain = false, false
	}
	if flowInd {
		a.flowPlain = false
	}
	if blockInd {
		a.blockPlain = false
	}
	return a
}

// The classes of asciiClass: 0 for a byte that stands for itself.
const (
	clsFlow  = 1 + iota // , ? [ ] { }
	clsColon            // :
	clsHash             // #
	clsOther            // not printable ASCII
)

// asciiClass classifies the bytes after the first of a scalar for
// analyzeASCII.
var asciiClass = func() (t [256]uint8) {
	for c := range t {
		if c < 0x20 || c > 0x7e {
			t[c] = clsOther
		}
	}
	for _, c := range ",?[]{}" {
		t[c] = clsFlow
	}
	t[':'], t['#'] = clsColon, clsHash
	return t
}()

// analyzeASCII is analyzeScalar for the common case of printable ASCII
// without tabs (so without line breaks and special characters); ok is
// false for any other text.
func analyzeASCII(v string) (scalarInfo, bool) {
	var flowInd, blockInd bool
	switch v[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		flowInd, blockInd = true, true
	case '?', ':':
		flowInd = true
		blockInd = len(v) == 1 || v[1] == ' '
	case '-':
		if len(v) == 1 || v[1] == ' ' {
			flowInd, blockInd = true, true
		}
	}
	if len(v) >= 3 && (v[:3] == "---" || v[:3] == "...") {
		flowInd, blockInd = true, true
	}
	if c := v[0]; c < 0x20 || c > 0x7e {
		return scalarInfo{}, false
	}
	for i := 1; i < len(v); i++ {
		// One table lookup per byte: this loop runs over every encrypted
		// value a YAML file is written with (about 130 bytes each).
		switch asciiClass[v[i]] {
		case 0:
		case clsFlow:
			flowInd = true
		case clsColon:
			flowInd = true
			if i+1 == len(v) || v[i+1] == ' ' {
				blockInd = true
			}
		case clsHash:
			if v[i-1] == ' ' {
				flowInd, blockInd = true, true
			}
		default:
			return scalarInfo{}, false
		}
	}
	edge := v[0] == ' ' || v[len(v)-1] == ' '
	return scalarInfo{
		flowPlain:  !edge && !flowInd,
		blockPlain: !edge && !blockInd,
		single:     true,
		block:      v[len(v)-1] != ' ',
		ascii:      true,
	}, true
}

func width(b byte) int {
	switch {
	case b&0x80 == 0x00:
		return 1
	case b&0xE0 == 0xC0:
		return 2
	case b&0xF0 == 0xE0:
		return 3
	case b&0xF8 == 0xF0:
		return 4
	}
	return 0
}

func isPrintable(b string, i int) bool {
	c := b[i]
	return c == 0x0A ||
		c >= 0x20 && c <= 0x7E ||
		c == 0xC2 && b[i+1] >= 0xA0 ||
		c > 0xC2 && c < 0xED ||
		c == 0xED && b[i+1] < 0xA0 ||
		c == 0xEE ||
		c == 0xEF && !(b[i+1] == 0xBB && b[i+2] == 0xBF) && !(b[i+1] == 0xBF && (b[i+2] == 0xBE || b[i+2] == 0xBF))
}

func isBreak(b string, i int) bool {
	c := b[i]
	return c == '\r' || c == '\n' ||
		c == 0xC2 && b[i+1] == 0x85 ||
		c == 0xE2 && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9)
}

func isBlankz(b string, i int) bool {
	c := b[i]
	return c == ' ' || c == '\t' || c == 0 || isBreak(b, i)
}
