//! The block-sync request-response codec: one length-prefixed frame each way.
//!
//! ```text
//! frame = length (u32, big-endian) ‖ bytes
//! ```
//!
//! The length is checked against the limit before anything is allocated; the payload is opaque
//! here (the node encodes its requests and answers canonically).

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;
use libp2p::request_response;

/// The sync protocol's name.
pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/liangxin/sync/1");

/// Frame limits for the sync protocol.
#[derive(Clone, Copy, Debug)]
pub struct SyncCodec {
    /// Largest request.
    pub max_request: usize,
    /// Largest response.
    pub max_response: usize,
}

async fn read_frame<T: AsyncRead + Unpin + Send>(io: &mut T, limit: usize) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    io.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes is over the {limit}-byte limit"),
        ));
    }
    let mut buf = vec![0u8; len];
    io.read_exact(&mut buf).await?;
    Ok(buf)
}

async fn write_frame<T: AsyncWrite + Unpin + Send>(
    io: &mut T,
    data: &[u8],
    limit: usize,
) -> io::Result<()> {
    if data.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "frame of {} bytes is over the {limit}-byte limit",
                data.len()
            ),
        ));
    }
    let len = u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(data).await?;
    io.close().await
}

impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_request).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_response).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &req, self.max_request).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &res, self.max_response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;

    #[test]
    fn frames_round_trip_and_oversized_frames_are_refused_before_allocating() {
        block_on(async {
            let mut buf = Cursor::new(Vec::new());
            write_frame(&mut buf, b"hello", 16).await.expect("write");
            let mut r = Cursor::new(buf.into_inner());
            assert_eq!(read_frame(&mut r, 16).await.expect("read"), b"hello");
            // A claimed length of 4 GiB is refused from the header alone.
            let mut huge = Cursor::new(vec![0xff, 0xff, 0xff, 0xff]);
            assert!(read_frame(&mut huge, 1 << 20).await.is_err());
            let mut w = Cursor::new(Vec::new());
            assert!(write_frame(&mut w, &[0u8; 17], 16).await.is_err());
            // A frame cut short is an error, not a panic.
            let mut short = Cursor::new(vec![0, 0, 0, 9, 1, 2]);
            assert!(read_frame(&mut short, 16).await.is_err());
        });
    }
}
