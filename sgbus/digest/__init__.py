"""The working-day notification digest (每日提醒): each liaison officer's open work and the
oversight office's per-department counts, by e-mail and SMS, once per working day.

:mod:`~sgbus.digest.compose` decides who gets what text (pure); :mod:`~sgbus.digest.gather`
reads the console's read model and directory; :mod:`~sgbus.digest.channels` delivers;
:mod:`~sgbus.digest.sentlog` keeps a day's sends to one; :mod:`~sgbus.digest.service` ties them.
"""
