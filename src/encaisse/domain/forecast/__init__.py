"""Cash position and 13-week cash forecast (SCENARIOS.md §5 "Seeing the weeks ahead").

Pure domain: ``today`` is always a parameter. Modules: ``position`` (balances), ``items``
(receivables, payables, quotes, one-off flows), ``delays`` (customer payment-delay
distributions), ``recurrence`` (recurring flows from bank history), ``vat_calendar`` (VAT to pay),
``run_rate`` (new business), ``simulate`` (numpy Monte Carlo), ``engine`` (the forecast),
``snapshot`` (inputs known on a day), ``alerts``, ``scenarios`` and ``backtest``.
"""

from encaisse.domain.forecast.engine import Forecast, ForecastRow, forecast, forecast_to_json_dict
from encaisse.domain.forecast.items import CashFlow, ExpectedQuote, Payable, Receivable, open_receivables
from encaisse.domain.forecast.position import AccountBalance, CashPosition, cash_position
from encaisse.domain.forecast.snapshot import ForecastInputs, inputs_as_of, run

__all__ = [
    "AccountBalance",
    "CashFlow",
    "CashPosition",
    "ExpectedQuote",
    "Forecast",
    "ForecastInputs",
    "ForecastRow",
    "Payable",
    "Receivable",
    "cash_position",
    "forecast",
    "forecast_to_json_dict",
    "inputs_as_of",
    "open_receivables",
    "run",
]
