Attribute VB_Name = "Ribbon"
' Ribbon callbacks of the add-in HoTroNQ.xlam (built by "python -m xl_support build-addin";
' do not edit the add-in by hand: edit workbook/src/AddinRibbon.bas and rebuild).
' workbook/src/customUI_addin.xml names each Sub below in an onAction attribute. Every button
' runs one Python macro of the "macros" package through xlwings' RunPython, on the ACTIVE
' workbook: the add-in's xlwings module is xlwings' add-in flavour, which passes
' ActiveWorkbook (not the add-in) to Python as the calling book.
' ASCII only: Vietnamese text is written with \uXXXX escapes decoded by Vn().
Option Explicit

Private Function Vn(ByVal s As String) As String
    ' "\u1ed7" -> ChrW(&H1ED7): Vietnamese text in an ASCII module.
    Dim i As Long, out As String
    i = 1
    Do While i <= Len(s)
        If Mid$(s, i, 2) = "\u" And i + 5 <= Len(s) Then
            out = out & ChrW(CLng("&H" & Mid$(s, i + 2, 4)))
            i = i + 6
        Else
            out = out & Mid$(s, i, 1)
            i = i + 1
        End If
    Loop
    Vn = out
End Function

Private Function HasBook() As Boolean
    ' With no workbook open there is nothing to act on: say so, change nothing.
    If ActiveWorkbook Is Nothing Then
        MsgBox Vn("H\u00e3y m\u1edf (ho\u1eb7c ch\u1ecdn) s\u1ed5 c\u1ea7n l\u00e0m vi\u1ec7c r\u1ed3i b\u1ea5m l\u1ea1i n\u00fat n\u00e0y."), _
               vbExclamation, Vn("H\u1ed7 tr\u1ee3 NQ")
        HasBook = False
    Else
        HasBook = True
    End If
End Function

Sub OnPrepare(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.prepare()"
End Sub

Sub OnValidate(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.validate()"
End Sub

Sub OnCompute(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.compute()"
End Sub

Sub OnSummary(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.summary()"
End Sub

Sub OnExportCityReport(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.export_city_report()"
End Sub

Sub OnExportInsuranceList(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.export_insurance_list()"
End Sub

Sub OnExportPaymentList(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.export_payment_list()"
End Sub

Sub OnExportPublicList(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.export_public_list()"
End Sub

Sub OnExportBudget(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.export_budget()"
End Sub

Sub OnCloseMonth(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.close_month()"
End Sub

Sub OnExportArrears(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.export_arrears()"
End Sub

Sub OnExportComingChanges(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.export_coming_changes()"
End Sub

Sub OnReloadFunctions(control As IRibbonControl)
    ' Stop the Python process behind the worksheet functions (it starts again with the
    ' installed code on the next calculation), put the live column formulas back, recalculate.
    If Not HasBook() Then Exit Sub
    KillPy
    RunPython "import macros; macros.reload_functions()"
    Application.CalculateFull
End Sub

Sub OnShowGuide(control As IRibbonControl)
    If HasBook() Then RunPython "import macros; macros.show_guide()"
End Sub
