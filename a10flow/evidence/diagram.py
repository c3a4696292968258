"""A process version's diagram as a static SVG, drawn from the BPMN file's own layout (BPMN DI),
with what one instance did marked on it: elements done, waiting or failed, and the flows taken.

For the pack's report, which must read without JavaScript and print (bpmn-js draws the live
pages). The drawing is plain shapes and names, not bpmn-js's look: enough to follow the path.
"""
import functools
import math
import textwrap

from lxml import etree

from ..deploy import definitions

SVG = "http://www.w3.org/2000/svg"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
              "manualTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
# (stroke, fill) of each mark; the report's legend shows the same colours.
COLOURS = {None: ("#444", "#fff"), "done": ("#2e7d32", "#e8f5e9"), "waiting": ("#b26a00", "#fff3e0"),
           "failed": ("#c62828", "#ffebee")}
TAKEN = "#2e7d32"
FONT = 11   # px; a character is taken as 0.55 of it wide when names are wrapped
FARTHEST = 1e7   # px from the origin: no drawing reaches so far, and sums of such stay finite


def element_names(xml):
    """``{id: name}`` of the BPMN ``xml``'s elements, the id where one has no name."""
    root = _parse(xml)
    return {} if root is None else {e.get("id"): e.get("name") or e.get("id")
                                    for e in root.iter(f"{{{BPMN}}}*") if e.get("id")}


def svg(xml, marks=None, chosen=None, title="Process diagram", key="diagram"):
    """The first diagram of the BPMN ``xml`` as SVG text, or None when the file has no layout.

    ``marks``: ``{element id: "done" | "waiting" | "failed"}``. A sequence flow is drawn as taken
    when its source is done and its target marked; out of a gateway in ``chosen``
    (``{gateway id: {flow ids}}``, from its gateway.path_taken records) only the flows it chose.
    Each element is a group carrying ``data-element`` (its id) and its mark as ``class``; ``key``
    keeps the drawing's own ids apart from another drawing's on the same page.
    """
    root = _parse(xml)
    plane = None if root is None else root.find(".//{*}BPMNDiagram/{*}BPMNPlane")
    if plane is None:
        return None
    marks, chosen = marks or {}, chosen or {}
    elements = {e.get("id"): e for e in root.iter(f"{{{BPMN}}}*") if e.get("id")}
    taken = {i for i, e in elements.items() if _kind(e) == "sequenceFlow"
             and marks.get(e.get("sourceRef")) == "done" and e.get("targetRef") in marks
             and (e.get("sourceRef") not in chosen or i in chosen[e.get("sourceRef")])}
    drawing = _Drawing(marks, taken, key)
    def drawn(node):
        # bpmnElement is a QName: "bpmn2:Task_1" names Task_1 too.
        ref = node.get("bpmnElement") or ""
        return elements.get(ref) if ref in elements else elements.get(ref.rpartition(":")[2])
    for shape in plane.iter("{*}BPMNShape"):   # pools and lanes first: they lie under the rest
        element = drawn(shape)
        if element is not None and _kind(element) in ("participant", "lane"):
            drawing.shape(shape, element)
    for shape in plane.iter("{*}BPMNShape"):
        element = drawn(shape)
        if element is not None and _kind(element) not in ("participant", "lane"):
            drawing.shape(shape, element)
    for edge in plane.iter("{*}BPMNEdge"):
        element = drawn(edge)
        if element is not None:
            drawing.edge(edge, element)
    return drawing.finish(title)


@functools.lru_cache(maxsize=8)
def _parse(xml):
    # A pack draws each instance of a version from the same file: parse it once. Only ever read.
    return definitions.stored_xml(xml, "diagram")


def _kind(element):
    return etree.QName(element).localname


def _number(node, name):
    """A coordinate from the file, or None when it is no number a drawing could hold (1e308 is
    finite, but a shape there would stretch the picture to infinity)."""
    try:
        value = float(node.get(name, ""))
    except ValueError:
        return None
    return value if abs(value) <= FARTHEST else None


def _bounds(node):
    box = node.find("{*}Bounds") if node is not None else None
    if box is None:
        return None
    values = [_number(box, n) for n in ("x", "y", "width", "height")]
    return None if None in values or values[2] < 0 or values[3] < 0 else values


class _Drawing:
    def __init__(self, marks, taken, key):
        self.marks, self.taken, self.key = marks, taken, key
        self.root = self.parent = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG})
        defs = etree.SubElement(self.root, f"{{{SVG}}}defs")
        for name, colour in (("arrow", COLOURS[None][0]), ("arrow-taken", TAKEN)):
            marker = etree.SubElement(defs, f"{{{SVG}}}marker", id=f"{key}-{name}", viewBox="0 0 10 10", refX="10", refY="5",
                                      markerWidth="7", markerHeight="7", orient="auto-start-reverse")
            etree.SubElement(marker, f"{{{SVG}}}path", d="M0,0 L10,5 L0,10 z", fill=colour)
        self.low, self.high = [math.inf, math.inf], [-math.inf, -math.inf]

    def _add(self, tag, **attributes):
        return etree.SubElement(self.parent, f"{{{SVG}}}{tag}", {k.rstrip("_").replace("_", "-"): str(v)
                                                                 for k, v in attributes.items()})

    def _group(self, element, mark):
        """Start the group the element's drawing goes into."""
        self.parent = self.root
        self.parent = self._add("g", data_element=element.get("id"), class_=mark or "plain")

    def _extend(self, x, y):
        self.low = [min(self.low[0], x), min(self.low[1], y)]
        self.high = [max(self.high[0], x), max(self.high[1], y)]

    def _text(self, text, x, y, width, anchor="middle", middle=True):
        """``text`` wrapped to ``width``, centred on (x, y) or starting there."""
        lines = textwrap.wrap(text, max(4, int(width / (FONT * 0.55)))) or [""]
        top = y - (len(lines) - 1) * FONT * 0.6 if middle else y
        node = self._add("text", x=x, y=top, font_size=FONT, text_anchor=anchor, font_family="sans-serif",
                         fill="#222")
        for number, line in enumerate(lines):
            span = etree.SubElement(node, f"{{{SVG}}}tspan", x=str(x), dy="0" if number == 0 else f"{FONT * 1.2}")
            span.text = line
        wide = max(len(line) for line in lines) * FONT * 0.55
        self._extend(x - wide / 2 if anchor == "middle" else x, top - FONT)
        self._extend(x + wide / 2 if anchor == "middle" else x + wide, top + len(lines) * FONT * 1.2)

    def shape(self, shape, element):
        box = _bounds(shape)
        if box is None:
            return
        x, y, w, h = box
        kind, name = _kind(element), element.get("name") or ""
        self._group(element, self.marks.get(element.get("id")))
        stroke, fill = COLOURS[self.marks.get(element.get("id"))]
        width = 3 if element.get("id") in self.marks else 1.5
        self._extend(x, y)
        self._extend(x + w, y + h)
        label = _bounds(shape.find("{*}BPMNLabel"))
        if kind in ("participant", "lane"):
            self._add("rect", x=x, y=y, width=w, height=h, fill="none", stroke="#888", stroke_width=1)
            if name:   # along the left edge, as modellers draw it
                node = self._add("text", x=x + 14, y=y + h / 2, font_size=FONT, text_anchor="middle",
                                 font_family="sans-serif", fill="#222",
                                 transform=f"rotate(-90 {x + 14} {y + h / 2})")
                node.text = name
        elif kind in ACTIVITIES:
            expanded = kind in ("subProcess", "transaction", "adHocSubProcess") and shape.get("isExpanded") == "true"
            self._add("rect", x=x, y=y, width=w, height=h, rx=10, fill="none" if expanded else fill, stroke=stroke,
                      stroke_width=width + (1.5 if kind == "callActivity" else 0))
            if expanded:
                self._text(name, x + 6, y + 14, w - 12, anchor="start", middle=False)
            else:
                self._text(name, x + w / 2, y + h / 2 + FONT / 3, w - 10)
        elif kind in EVENTS:
            r = min(w, h) / 2
            self._add("circle", cx=x + w / 2, cy=y + h / 2, r=r, fill=fill, stroke=stroke,
                      stroke_width=width + (2 if kind == "endEvent" else 0))
            if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
                dashed = {"stroke_dasharray": "3 2"} if element.get("cancelActivity") == "false" else {}
                self._add("circle", cx=x + w / 2, cy=y + h / 2, r=max(r - 3, 1), fill="none", stroke=stroke,
                          stroke_width=1, **dashed)
            self._name_below(name, label, x, y, w, h)
        elif kind in GATEWAYS:
            cx, cy = x + w / 2, y + h / 2
            self._add("polygon", points=f"{cx},{y} {x + w},{cy} {cx},{y + h} {x},{cy}", fill=fill, stroke=stroke,
                      stroke_width=width)
            d = w / 5
            glyph = {"exclusiveGateway": f"M{cx - d},{cy - d} L{cx + d},{cy + d} M{cx + d},{cy - d} L{cx - d},{cy + d}",
                     "parallelGateway": f"M{cx},{cy - d * 1.3} L{cx},{cy + d * 1.3} M{cx - d * 1.3},{cy} L{cx + d * 1.3},{cy}"}
            if kind in glyph:
                self._add("path", d=glyph[kind], stroke=stroke, stroke_width=2.5, fill="none")
            elif kind == "inclusiveGateway":
                self._add("circle", cx=cx, cy=cy, r=d * 1.2, fill="none", stroke=stroke, stroke_width=2.5)
            self._name_below(name, label, x, y, w, h)
        elif kind == "textAnnotation":
            self._add("path", d=f"M{x + 10},{y} L{x},{y} L{x},{y + h} L{x + 10},{y + h}", fill="none", stroke="#888")
            self._text(element.findtext("{*}text") or "", x + 5, y + 14, w - 5, anchor="start", middle=False)
        elif kind == "group":
            self._add("rect", x=x, y=y, width=w, height=h, rx=8, fill="none", stroke="#888", stroke_dasharray="6 3")
        else:   # data objects, data stores, anything else drawn: a box with its name under it
            self._add("rect", x=x, y=y, width=w, height=h, fill="#fafafa", stroke="#888")
            self._name_below(name, label, x, y, w, h)

    def _name_below(self, name, label, x, y, w, h):
        if not name:
            return
        if label is not None:
            lx, ly, lw, _ = label
            self._text(name, lx + lw / 2, ly + FONT, max(lw, 60), middle=False)
        else:
            self._text(name, x + w / 2, y + h + FONT + 4, max(w * 2.5, 80), middle=False)

    def edge(self, edge, element):
        points = [(_number(p, "x"), _number(p, "y")) for p in edge.iterfind("{*}waypoint")]
        points = [p for p in points if None not in p]
        if len(points) < 2:
            return
        for px, py in points:
            self._extend(px, py)
        kind = _kind(element)
        taken = element.get("id") in self.taken
        self._group(element, "taken" if taken else None)
        style = {"fill": "none", "stroke": TAKEN if taken else COLOURS[None][0], "stroke_width": 3 if taken else 1.2}
        if kind == "sequenceFlow":
            style["marker_end"] = f"url(#{self.key}-arrow-taken)" if taken else f"url(#{self.key}-arrow)"
        elif kind == "messageFlow":
            style.update(stroke_dasharray="6 3", marker_end=f"url(#{self.key}-arrow)")
        else:   # associations
            style.update(stroke_dasharray="2 3", stroke="#888")
        self._add("polyline", points=" ".join(f"{px},{py}" for px, py in points), **style)
        name = element.get("name")
        if name:
            label = _bounds(edge.find("{*}BPMNLabel"))
            if label is not None:
                self._text(name, label[0] + label[2] / 2, label[1] + FONT, max(label[2], 40), middle=False)
            else:
                (ax, ay), (bx, by) = points[len(points) // 2 - 1], points[len(points) // 2]
                self._text(name, (ax + bx) / 2 + 4, (ay + by) / 2 - 4, 80, anchor="start", middle=False)

    def finish(self, title):
        if self.low[0] == math.inf:
            return None   # a layout that draws nothing
        x, y = self.low[0] - 10, self.low[1] - 10
        w, h = self.high[0] - self.low[0] + 20, self.high[1] - self.low[1] + 20
        self.root.set("viewBox", f"{x:g} {y:g} {w:g} {h:g}")
        self.root.set("width", f"{w:g}")
        self.root.set("role", "img")
        self.root.set("aria-label", title)
        heading = etree.Element(f"{{{SVG}}}title")
        heading.text = title
        self.root.insert(0, heading)
        return etree.tostring(self.root, encoding="unicode")
