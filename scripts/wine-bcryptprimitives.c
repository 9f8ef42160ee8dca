/* ProcessPrng for Wine 8.0, which has no bcryptprimitives.dll: Go 1.22+
   programs need it to start. Test-environment shim only (wine-check.sh
   puts it into its own Wine prefix); Windows 10/11 have the real DLL. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
