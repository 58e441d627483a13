from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.invoice_list_view, name="index"),
    path("invoices/", views.invoice_list_view, name="invoice-list"),
    path("invoices/bulk/", views.invoice_bulk_view, name="invoice-bulk"),
    path("invoices/jobs/<int:pk>/", views.invoice_job_view, name="invoice-job"),
    path("invoices/jobs/<int:pk>/download/", views.invoice_job_download_view, name="invoice-job-download"),
    path("invoices/<str:number>/", views.invoice_detail_view, name="invoice-detail"),
    path("invoices/<str:number>/pdf/", views.invoice_pdf_view, name="invoice-pdf"),
    path("invoices/<str:number>/xml/", views.invoice_xml_view, name="invoice-xml"),
    path("invoices/<str:number>/receipt/", views.invoice_receipt_view, name="invoice-receipt"),
    path("invoices/<str:number>/resend/", views.invoice_resend_view, name="invoice-resend"),
    path("orders/<str:number>/payments/new/", views.payment_new_view, name="payment-new"),
    path("orders/<str:number>/payments/change/", views.payment_change_view, name="payment-change"),
    path("orders/<str:number>/refunds/new/", views.refund_new_view, name="refund-new"),
    path("export/", views.export_view, name="export"),
    path("webhooks/<slug:provider>/", views.payment_webhook_view, name="payment-webhook"),
]
