/*
 * A stand-in for Windows' bcryptprimitives.dll with the one function Go
 * (1.22 and later) needs from it: ProcessPrng, the process-wide random
 * number generator behind crypto/rand. Wine 8 (Debian 12) has no
 * ProcessPrng; this fills the buffer from RtlGenRandom (advapi32's
 * SystemFunction036), which Wine does have. Only `make windows-check`
 * uses it, to run zoufang.exe under Wine; it is never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
