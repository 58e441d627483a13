def get_dashboard_figures(): return {}
