Attribute VB_Name = "Ribbon"
' Ribbon callbacks of Template.xlsm (built by "python -m xl_support build-template";
' do not edit the workbook by hand: edit workbook/src/Ribbon.bas and rebuild).
' customUI/customUI.xml names each Sub below in an onAction attribute. Every button
' runs one Python macro of the "macros" package through xlwings' RunPython.
' ASCII only: Vietnamese text lives in the ribbon XML and in the Python macros.
Option Explicit

Sub OnValidate(control As IRibbonControl)
    RunPython "import macros; macros.validate()"
End Sub

Sub OnCompute(control As IRibbonControl)
    RunPython "import macros; macros.compute()"
End Sub

Sub OnSummary(control As IRibbonControl)
    RunPython "import macros; macros.summary()"
End Sub

Sub OnExportCityReport(control As IRibbonControl)
    RunPython "import macros; macros.export_city_report()"
End Sub

Sub OnExportInsuranceList(control As IRibbonControl)
    RunPython "import macros; macros.export_insurance_list()"
End Sub

Sub OnExportPaymentList(control As IRibbonControl)
    RunPython "import macros; macros.export_payment_list()"
End Sub

Sub OnExportPublicList(control As IRibbonControl)
    RunPython "import macros; macros.export_public_list()"
End Sub

Sub OnExportBudget(control As IRibbonControl)
    RunPython "import macros; macros.export_budget()"
End Sub

Sub OnCloseMonth(control As IRibbonControl)
    RunPython "import macros; macros.close_month()"
End Sub

Sub OnExportArrears(control As IRibbonControl)
    RunPython "import macros; macros.export_arrears()"
End Sub

Sub OnExportComingChanges(control As IRibbonControl)
    RunPython "import macros; macros.export_coming_changes()"
End Sub

Sub OnReloadFunctions(control As IRibbonControl)
    ' Stop the Python process behind the worksheet functions (it starts again with the
    ' installed code on the next calculation), put the live column formulas back, recalculate.
    KillPy
    RunPython "import macros; macros.reload_functions()"
    Application.CalculateFull
End Sub

Sub OnShowGuide(control As IRibbonControl)
    ' Opens the guide sheet without Python, so it works before xlwings is set up
    ' (the guide explains that set-up). Sheet1 is the code name of "Huong dan".
    Sheet1.Activate
    Sheet1.Range("A1").Select
End Sub
