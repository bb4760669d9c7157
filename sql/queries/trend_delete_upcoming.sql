-- Forget the trends of upcoming dates before they are derived again (passed dates are kept).
DELETE FROM hut_availability_trends WHERE availability_date >= %(today)s
