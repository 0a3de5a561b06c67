"""Where the time went and what the LODs cost: stage timings and LOD triangles vs error.

pyqtgraph is imported when the first result arrives, not at start-up (it costs ~0.2 s to import).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.core.generation.request import GenerationResult


class InspectorPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Generate or open an asset to see its stage timings and LODs.")
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.summary)
        self.timings_plot: Any = None
        self.lod_plot: Any = None
        self.shown_timings: dict[str, float] = {}
        self.shown_lods: list[tuple[int, float]] = []

    def show_result(self, result: GenerationResult) -> None:
        self.show_timings(result.timings)
        self.show_lods([(lod.triangles, lod.error_pct) for lod in result.lods])
        report = result.report
        total = sum(result.timings.values())
        facts = [f"{result.request.asset_name}: {total:.2f} s"]
        if report:
            facts.append("watertight" if report.get("watertight") else "not watertight")
        self.summary.setText(" · ".join(facts))

    def show_timings(self, timings: dict[str, float]) -> None:
        self._ensure_plots()
        import pyqtgraph as pg

        self.shown_timings = dict(timings)
        plot = self.timings_plot
        plot.clear()
        names = list(timings)
        if names:
            bars = pg.BarGraphItem(x=list(range(len(names))), height=list(timings.values()), width=0.6)
            bars.setOpts(brush=pg.mkBrush(74, 144, 226))
            plot.addItem(bars)
        plot.getAxis("bottom").setTicks([list(enumerate(names))])

    def show_lods(self, lods: list[tuple[int, float]]) -> None:
        """(triangles, error % of the diagonal) per LOD, LOD0 first."""
        self._ensure_plots()
        import pyqtgraph as pg

        self.shown_lods = list(lods)
        plot = self.lod_plot
        plot.clear()
        if lods:
            triangles = [t for t, _ in lods]
            errors = [e for _, e in lods]
            plot.plot(triangles, errors, pen=pg.mkPen(110, 200, 120, width=2), symbol="o", symbolSize=7)
            for level, (t, e) in enumerate(lods):
                label = pg.TextItem(f"LOD{level}", color=(200, 200, 200), anchor=(0, 1))
                label.setPos(math.log10(max(t, 1)), e)  # items are placed in log space on a log axis
                plot.addItem(label)

    def _ensure_plots(self) -> None:
        if self.timings_plot is not None:
            return
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background=(30, 30, 32), foreground=(200, 200, 204))
        self.timings_plot = pg.PlotWidget(title="Time per stage")
        self.timings_plot.setObjectName("timings_plot")
        self.timings_plot.setLabel("left", "seconds")
        self.lod_plot = pg.PlotWidget(title="LOD triangles vs error")
        self.lod_plot.setObjectName("lod_plot")
        self.lod_plot.setLabel("bottom", "triangles")
        self.lod_plot.setLabel("left", "error (% of diagonal)")
        self.lod_plot.setLogMode(x=True, y=False)
        for plot in (self.timings_plot, self.lod_plot):
            plot.setMinimumHeight(140)
            plot.setMenuEnabled(False)
            self._layout.addWidget(plot, 1)
